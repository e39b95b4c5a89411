using Dialogs.LoadVerifier.Verification;

namespace Dialogs.LoadVerifier.Scenarios;

/// <summary>The two delivery verdicts of every scenario: nothing acknowledged is lost, nothing is stored twice.</summary>
public static class DeliveryChecks
{
    /// <param name="placement">Describes where a dialog's shard was (by dialog index), to tell when and where a message was lost.</param>
    public static IEnumerable<Check> Of(Delivery delivery, Func<int, string> placement)
    {
        var lost = delivery.MissingSends.Select(send =>
            $"message {send.MessageId} of dialog {send.Dialog} ({placement(send.Dialog)}) acknowledged at {send.End.TotalSeconds:0.000} s");
        yield return new Check("no acknowledged message missing", delivery.Missing == 0 && delivery.Unreadable == 0,
            $"{delivery.Missing} of {delivery.Acknowledged} missing; {delivery.Unreadable} dialogs unreadable"
            + string.Concat(lost.Select(line => $"; {line}")));
        yield return new Check("no message duplicated", delivery.Duplicated == 0 && delivery.Unexpected == 0,
            $"{delivery.Duplicated} duplicated, {delivery.Unexpected} unexpected");
    }
}
