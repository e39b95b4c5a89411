namespace Dialogs.Api.Messaging;

/// <summary>Which page of a dialog to read: the newest, the one older than a cursor, or the one newer than it.</summary>
public sealed record PageRequest(int Limit, MessageId Cursor, PageDirection Direction)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static PageRequest Newest(int limit = DefaultLimit) => new(limit, MessageId.MaxValue, PageDirection.Older);
}

public enum PageDirection
{
    /// <summary>Messages older than the cursor, newest first.</summary>
    Older,

    /// <summary>Messages right after the cursor.</summary>
    Newer,
}
