using System.Buffers;
using System.Text.Json;
using Dialogs.Api.Http;
using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;
using Dialogs.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dialogs.Tests.Api;

/// <summary>
/// The hot responses are written by the generated serializers, not by reflection-built ones, and in shapes a client can
/// parse with a fixed pattern.
/// </summary>
public sealed class JsonTests(PlainPostgres database)
{
    public static TheoryData<Type> Shapes => [typeof(DialogMessage), typeof(IReadOnlyList<DialogMessage>), typeof(SendMessageRequest)];

    private JsonSerializerOptions Options => database.ApiServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_dialog_shapes_use_the_generated_serializers(Type shape) =>
        Assert.Same(DialogsJson.Default, Options.GetTypeInfo(shape).OriginatingResolver);

    [Fact]
    public void A_message_is_written_by_hand_with_the_members_the_serializer_and_the_OpenAPI_document_give_it()
    {
        var message = new DialogMessage(Guid.CreateVersion7().ToString(), "alice", "bob", "it's <b>ø</b> 😀",
            new DateTime(2026, 11, 23, 3, 54, 1, 40, DateTimeKind.Utc));
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            DialogsJson.WriteMessage(writer, message);
        }

        var byHand = JsonDocument.Parse(buffer.WrittenMemory).RootElement;
        var bySerializer = JsonSerializer.SerializeToElement(message, Options);

        Assert.Equal(bySerializer.EnumerateObject().Select(member => member.Name), byHand.EnumerateObject().Select(member => member.Name));
        Assert.Equal(message, byHand.Deserialize<DialogMessage>(Options));
        Assert.Equal("2026-11-23T03:54:01.040Z", byHand.GetProperty("created_at").GetString());
    }

    [Fact]
    public async Task A_message_time_always_has_three_fraction_digits_even_when_they_are_zeros()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        // Stored at a whole second, as one message in a thousand is (its id's time); written by default it would read "...:01Z".
        var onTheSecond = new MessageIdGenerator(new ManualClock(new DateTimeOffset(2026, 11, 23, 3, 54, 1, TimeSpan.Zero))).Next();
        await InsertBehindTheServicesBack(alice, bob, onTheSecond.Value, "on the second");

        using var client = database.Client(alice);
        // The page's writer, and the send's: a repeated send answers the stored message.
        using var page = await client.List(bob);
        using var repeated = await client.Send(bob, "on the second", "key");

        const string Expected = "\"created_at\":\"2026-11-23T03:54:01.000Z\"";
        Assert.Contains(Expected, await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Contains(Expected, await repeated.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_message_whose_id_carries_a_time_past_the_year_9999_is_served_at_the_last_millisecond_of_9999()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        // Stored behind the service's back: the top 48 bits, its time, in the year 10889.
        await InsertBehindTheServicesBack(alice, bob, Guid.Parse("ffffffff-ffff-7fff-bfff-ffffffffffff"), "from far ahead");

        using var client = database.Client(alice);
        using var page = await client.List(bob);

        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("\"created_at\":\"9999-12-31T23:59:59.999Z\"", await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private async Task InsertBehindTheServicesBack(string from, string to, Guid id, string text)
    {
        await using var insert = database.DataSource.CreateCommand("""
            INSERT INTO messages (dialog_id, id, sender_id, recipient_id, body, created_at, idempotency_key)
            VALUES ($1, $2, $3, $4, $5, now(), 'key')
            """);
        insert.Parameters.Add(new() { Value = Users.Dialog(from, to).Value });
        insert.Parameters.Add(new() { Value = id });
        insert.Parameters.Add(new() { Value = from });
        insert.Parameters.Add(new() { Value = to });
        insert.Parameters.Add(new() { Value = text });
        await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
