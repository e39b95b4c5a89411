using Dialogs.Bench;
using Dialogs.Bench.Harness;
using Dialogs.Local.Cluster;

namespace Dialogs.Tests.Bench;

/// <summary>The benchmark refuses bad options with a message, never a stack trace, and never deletes files it did not make.</summary>
public sealed class BenchCommandLineTests
{
    [Theory]
    [InlineData("--runs abc", "Cannot parse argument 'abc' for option '--runs'")]
    [InlineData("--messages 1,000,000", "Cannot parse argument '1,000,000' for option '--messages'")]
    [InlineData("--runs 0", "--runs must be at least 1.")]
    [InlineData("--messages 199", "--messages must be at least 200.")]
    [InlineData("--api-setting A:B=1 --api-setting a:b=2", "--api-setting 'a:b=2' sets a key given before: give each key once.")]
    public void A_bad_option_is_refused_saying_why_before_anything_runs(string arguments, string error)
    {
        var ran = false;
        var parsed = BenchCommandLine.Root((_, _) =>
        {
            ran = true;
            return Task.FromResult(0);
        }).Parse(arguments.Split(' '));

        Assert.Contains(parsed.Errors, e => e.Message.StartsWith(error, StringComparison.Ordinal));
        Assert.Equal(1, parsed.Invoke(new() { Output = TextWriter.Null, Error = TextWriter.Null }));
        Assert.False(ran);
    }

    [Fact]
    public async Task A_work_folder_holding_files_no_run_made_is_refused_and_kept()
    {
        var postgres = await PostgresInstallation.FindAsync();
        var folder = Directory.CreateTempSubdirectory("bench-work-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "notes.md"), "mine", TestContext.Current.CancellationToken);

            var refused = Assert.Throws<InvalidOperationException>(() => WorkFolder.Claim(folder, postgres));

            Assert.Contains("holds files that no benchmark run made", refused.Message);
            Assert.True(File.Exists(Path.Combine(folder, "notes.md")));
            // Refused, the claim was let go: the folder's owner may still give it to a run once it is empty.
            File.Delete(Path.Combine(folder, "notes.md"));
            using (var work = WorkFolder.Claim(folder, postgres))
            {
                await work.StartAfreshAsync();
            }

            // What a run killed outright leaves behind is its own: the next run takes the folder and clears it.
            await File.WriteAllTextAsync(Path.Combine(folder, "left-over"), "", TestContext.Current.CancellationToken);
            using var next = WorkFolder.Claim(folder, postgres);
            await next.StartAfreshAsync();
            Assert.False(File.Exists(Path.Combine(folder, "left-over")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
            File.Delete($"{folder}.lock");
        }
    }
}
