using Dialogs.Api.Messaging;

namespace Dialogs.Bench.Dialogs;

/// <summary>
/// The two operations of the service, as the benchmark drives them: through the API, or as the very statements the
/// API's store runs, issued straight to the database. Each throws when the operation did not succeed.
/// </summary>
public interface IDialogClient
{
    /// <summary>"api" or "raw", for progress lines.</summary>
    string Name { get; }

    /// <summary>Stores a message from <see cref="DialogPair.Sender"/> to <see cref="DialogPair.Peer"/>.</summary>
    ValueTask SendAsync(DialogPair dialog, SampleText text, CancellationToken ct);

    /// <summary>Reads a page of the default size: the newest, or the one older than <paramref name="before"/>.</summary>
    ValueTask ReadPageAsync(DialogPair dialog, MessageId? before, CancellationToken ct);
}
