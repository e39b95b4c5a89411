using System.CommandLine;
using Dialogs.Local.Commands;
using Dialogs.Migrator;

namespace Dialogs.Local;

/// <summary>Runs the Dialogs service on this machine from its PostgreSQL binaries, no containers needed.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ToolConsole.PlainWhenRedirected();
        var workers = new Option<int>("--workers") { Description = "Citus workers to create", DefaultValueFactory = _ => 2 };
        var up = new Command("up", "Start the nodes, apply the schema and start the API in the background") { workers };
        up.SetAction((result, ct) => UpCommand.RunAsync(result.GetValue(workers), ct));

        var down = new Command("down", "Stop the API and the nodes (data is kept)");
        down.SetAction((_, ct) => DownCommand.RunAsync(ct));

        var status = new Command("status", "Show what is running");
        status.SetAction((_, _) => StatusCommand.RunAsync());

        var user = new Argument<string>("user") { Description = "The user id the token is for (its sub claim)" };
        var admin = new Option<bool>("--admin") { Description = "Add the admin role (cluster operations)" };
        var hours = new Option<double>("--hours") { Description = "Lifetime in hours (0.01 is 36 seconds)", DefaultValueFactory = _ => 24 };
        hours.Validators.Add(result =>
        {
            // Not a token expired at birth: it would be refused at once, for a reason the caller would have to guess.
            if (result.GetValueOrDefault<double>() is not > 0)
            {
                result.AddError("--hours must be more than 0.");
            }
        });
        var token = new Command("token", "Print a bearer token the local API accepts") { user, admin, hours };
        token.SetAction(result =>
        {
            // Only a service's own key: one made here, for a folder no `up` has set up (a typing error), signs tokens nobody accepts.
            var tokens = Workspace.Find().RequireService().Tokens;
            Console.WriteLine(tokens.Create(result.GetValue(user)!, TimeSpan.FromHours(result.GetValue(hours)),
                result.GetValue(admin) ? ["admin"] : []));
            return 0;
        });

        var addWorker = new Command("add-worker", "Start one more Citus worker on a free port and register it with the coordinator");
        addWorker.SetAction((_, ct) => ClusterCommand.AddWorkerAsync(ct));

        var operation = new Argument<string[]>("operation") { Description = "status | rebalance | drain HOST:PORT | remove HOST:PORT | cancel JOB", Arity = ArgumentArity.OneOrMore };
        var cluster = new Command("cluster", "Cluster operations on the local coordinator (the migrator's cluster verbs)") { operation };
        cluster.SetAction((result, ct) => ClusterCommand.RunAsync(result.GetValue(operation)!, ct));

        var root = new RootCommand("Dialogs on this machine: PostgreSQL/Citus nodes as local processes, the migrator and the API")
        {
            up, down, status, token, addWorker, cluster,
        };
        try
        {
            // Without the default handler, a refusal reaches the catch below as one line, not as a stack trace.
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"dialogs-local: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"dialogs-local: unexpected failure: {e}");
            return 1;
        }
    }
}
