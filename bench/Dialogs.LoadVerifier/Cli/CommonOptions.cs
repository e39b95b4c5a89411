using System.CommandLine;
using Dialogs.Local;
using Dialogs.LoadVerifier.Load;

namespace Dialogs.LoadVerifier.Cli;

/// <summary>The options every scenario takes: the load, the cluster's shape, and where the run's files go.</summary>
public sealed class CommonOptions
{
    // The load's defaults are LoadSettings' own, so the command line and code that builds settings agree.
    private static readonly LoadSettings Defaults = new();

    private readonly Option<int> _duration = new Option<int>("--duration") { Description = "Seconds of load (longer if the cluster operation needs it)", DefaultValueFactory = _ => 90 }.AtLeast(1);
    private readonly Option<double> _rate = new Option<double>("--rate") { Description = "Operations started per second (open loop)", DefaultValueFactory = _ => Defaults.Rate }.AtLeast(0.1);
    private readonly Option<int> _users = new Option<int>("--users") { Description = "Simulated users", DefaultValueFactory = _ => Defaults.Users }.AtLeast(3);
    private readonly Option<int> _contacts = new Option<int>("--contacts") { Description = "User i has a dialog with each of the next N users (N x users dialogs), fewer than half the users", DefaultValueFactory = _ => Defaults.ContactsPerUser }.AtLeast(1);
    private readonly Option<double> _sends = new Option<double>("--sends") { Description = "Share of operations that are sends, 0..1; the rest read a page", DefaultValueFactory = _ => Defaults.SendShare }.Within(0.0, 1.0);
    private readonly Option<int> _pageSize = new Option<int>("--page-size") { Description = "Limit of the page reads under load", DefaultValueFactory = _ => Defaults.PageSize }.Within(1, 200);
    private readonly Option<int> _giveUp = new Option<int>("--give-up") { Description = "Seconds a client keeps retrying one send", DefaultValueFactory = _ => (int)Defaults.GiveUpAfter.TotalSeconds }.AtLeast(1);
    private readonly Option<int> _warmUp = new Option<int>("--warmup") { Description = "Seconds at the start reported as warm-up, not as \"before\"", DefaultValueFactory = _ => (int)Defaults.WarmUp.TotalSeconds }.AtLeast(0);
    private readonly Option<int> _seed = new("--seed") { Description = "Seed of the operation mix", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<int> _shards = new Option<int>("--shards") { Description = "Shard count of the messages table", DefaultValueFactory = _ => 16 }.AtLeast(1);
    public Option<int> Workers { get; } = new Option<int>("--workers") { Description = "Citus workers to start with", DefaultValueFactory = _ => 2 }.AtLeast(1);
    private readonly Option<string> _out = new("--out") { Description = "Folder for the run folders (reports, logs)", DefaultValueFactory = _ => Path.Combine("bench-results", "load-verifier") };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _duration, _rate, _users, _contacts, _sends, _pageSize, _giveUp, _warmUp, _seed, _shards, Workers, _out })
        {
            command.Options.Add(option);
        }
    }

    public LoadSettings Load(ParseResult parse) => new(
        parse.GetValue(_rate), parse.GetValue(_users), parse.GetValue(_contacts), parse.GetValue(_sends), parse.GetValue(_pageSize),
        TimeSpan.FromSeconds(parse.GetValue(_giveUp)), parse.GetValue(_seed), TimeSpan.FromSeconds(parse.GetValue(_warmUp)));

    public TimeSpan Duration(ParseResult parse) => TimeSpan.FromSeconds(parse.GetValue(_duration));

    public EnvironmentOptions Environment(ParseResult parse) =>
        new(parse.GetValue(_out)!, parse.GetValue(Workers), parse.GetValue(_shards));
}

/// <summary>The cluster a run starts, and the folder its run folder goes into.</summary>
public sealed record EnvironmentOptions(string Folder, int Workers, int Shards);
