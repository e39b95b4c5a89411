namespace Dialogs.Api.Messaging;

/// <summary>A page of a dialog, newest first, and whether more lies beyond it in the direction it was read.</summary>
public sealed record MessagePage(IReadOnlyList<DialogMessage> Messages, bool HasMore);
