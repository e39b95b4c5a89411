using System.Diagnostics;
using OpenTelemetry;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Npgsql's spans (statements, connection opens) are kept only as part of recorded work. Otherwise background
/// queries (the API's shard-placement refresher, every 2 s) would each be a trace of their own, and a health probe's,
/// whose span is dropped, would still be recorded by a sampler that ignores the parent: Aspire sets always_on in
/// Development.
/// </summary>
internal sealed class DatabaseSpansOfRecordedWork : BaseProcessor<Activity>
{
    public override void OnStart(Activity activity)
    {
        if (activity.Source.Name == "Npgsql" && activity.Parent is not { Recorded: true })
        {
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            activity.IsAllDataRequested = false;
        }
    }
}
