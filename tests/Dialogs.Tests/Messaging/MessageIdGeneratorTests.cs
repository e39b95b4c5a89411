using Dialogs.Api.Messaging;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Messaging;

public sealed class MessageIdGeneratorTests
{
    [Fact]
    public void Ids_strictly_increase_in_byte_order_within_one_millisecond_and_when_the_clock_steps_back()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
        var generator = new MessageIdGenerator(clock);
        var ids = new List<MessageId>();
        for (var i = 0; i < 10_000; i++)
        {
            ids.Add(generator.Next());
        }

        clock.Now -= TimeSpan.FromSeconds(5);
        ids.Add(generator.Next());

        var bytes = ids.Select(id => Convert.ToHexString(id.Value.ToByteArray(bigEndian: true))).ToList();
        Assert.Equal(bytes.Order(StringComparer.Ordinal), bytes);
        Assert.Equal(bytes.Count, bytes.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(7, id.Value.Version));
    }

    [Fact]
    public void An_id_carries_its_creation_time_to_the_millisecond()
    {
        var now = new DateTimeOffset(2026, 11, 21, 12, 34, 56, 789, TimeSpan.Zero);

        var id = new MessageIdGenerator(new ManualClock(now)).Next();

        Assert.Equal(now.UtcDateTime, id.CreatedAt);
        Assert.True(MessageId.TryParse(id.ToString(), out var parsed));
        Assert.Equal(id, parsed);
    }
}
