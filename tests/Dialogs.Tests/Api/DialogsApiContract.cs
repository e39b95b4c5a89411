using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Api;

/// <summary>
/// The HTTP contract (../shared/contract/dialogs-api.md) through the real API on a real database. Each test runs
/// on plain PostgreSQL and on Citus (see the two sealed classes at the bottom).
/// </summary>
public abstract class DialogsApiContract(Database database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Send_returns_the_stored_message_with_id_and_created_at()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        var before = DateTime.UtcNow.AddSeconds(-1);

        var sent = await database.Client(alice).SendOk(bob, "hello");

        Assert.Equal((alice, bob, "hello"), (sent.From, sent.To, sent.Text));
        Assert.True(Guid.TryParseExact(sent.Id, "D", out var id));
        Assert.Equal(7, id.Version);
        Assert.InRange(sent.CreatedAt, before, DateTime.UtcNow.AddSeconds(1));
        Assert.Equal(DateTimeKind.Utc, sent.CreatedAt.Kind);
    }

    [Fact]
    public async Task The_paths_fixed_segments_match_in_any_case_and_with_a_trailing_slash_as_the_README_says()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);

        using var sent = await client.PostAsJsonAsync($"/DIALOG/{bob}/Send/", new { text = "routed" }, Ct);
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);

        Assert.Equal(["routed"], (await client.GetFromJsonAsync<List<DialogMessage>>($"/Dialog/{bob}/LIST/", Ct))!.Select(message => message.Text));
    }

    [Fact]
    public async Task A_messages_created_at_is_when_it_was_stored_not_when_its_send_was_accepted()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        // The dialog's send lock, which a send takes before it stamps its id: held, the send waits.
        DateTime accepted;
        Task<DialogMessage> heldUp;
        await using (await SendLock.TakeAsync(database.DataSource, Users.Dialog(alice, bob).Value, Ct))
        {
            accepted = DateTime.UtcNow;
            heldUp = database.Client(alice).SendOk(bob, "held up");
            await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        }

        var sent = await heldUp;

        Assert.True(sent.CreatedAt >= accepted.AddMilliseconds(400), $"{sent.CreatedAt:O}, accepted at {accepted:O}");
        Assert.Equal(new MessageId(Guid.Parse(sent.Id)).CreatedAt, sent.CreatedAt);
        Assert.Equal(sent, Assert.Single(await database.Client(bob).ListOk(alice)));
    }

    [Fact]
    public async Task A_send_held_past_the_statement_timeout_by_its_dialogs_previous_send_is_stored_once_that_one_ends()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        Task<DialogMessage> heldUp;
        await using (var sendLock = await SendLock.TakeAsync(database.DataSource, Users.Dialog(alice, bob).Value, Ct))
        {
            heldUp = database.Client(alice).SendOk(bob, "held up long");
            await Eventually.UntilAsync(() => sendLock.HoldsUpASendAsync(Ct), "the send to wait for its dialog's lock", Ct);
            // Past the store's statement timeout, which once cut such a send off with its outcome unknown.
            await Task.Delay(TimeSpan.FromSeconds(MessageStore.StatementTimeoutSeconds + 1), Ct);
            Assert.False(heldUp.IsCompleted, "the send was answered while its dialog's lock was held");
        }

        var sent = await heldUp;

        Assert.Equal(sent, Assert.Single(await database.Client(bob).ListOk(alice)));
    }

    [Fact]
    public async Task A_base_contract_client_sends_text_and_lists_from_to_text()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);

        using var send = await client.PostAsync($"/dialog/{bob}/send",
            new StringContent("""{"text":"plain client"}""", System.Text.Encoding.UTF8, "application/json"), Ct);
        using var list = await client.GetAsync($"/dialog/{bob}/list", Ct);

        Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal("application/json", list.Content.Headers.ContentType?.MediaType);
        var array = JsonDocument.Parse(await list.Content.ReadAsStringAsync(Ct)).RootElement;
        var message = Assert.Single(array.EnumerateArray());
        Assert.Equal(alice, message.GetProperty("from").GetString());
        Assert.Equal(bob, message.GetProperty("to").GetString());
        Assert.Equal("plain client", message.GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.String, message.GetProperty("created_at").ValueKind);
        Assert.EndsWith("Z", message.GetProperty("created_at").GetString());
    }

    [Fact]
    public async Task No_cache_may_keep_a_private_message()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);

        using var sent = await client.Send(bob, "between us");
        using var page = await client.List(bob);

        Assert.True(sent.Headers.CacheControl?.NoStore);
        Assert.True(page.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task Both_participants_see_both_directions_newest_first()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var asAlice = database.Client(alice);
        using var asBob = database.Client(bob);

        await asAlice.SendOk(bob, "1 from alice");
        await asBob.SendOk(alice, "2 from bob");
        await asAlice.SendOk(bob, "3 from alice");

        var seenByAlice = await asAlice.ListOk(bob);
        var seenByBob = await asBob.ListOk(alice);
        Assert.Equal(["3 from alice", "2 from bob", "1 from alice"], seenByAlice.Select(m => m.Text));
        Assert.Equal(seenByAlice, seenByBob);
        Assert.Equal([alice, bob, alice], seenByAlice.Select(m => m.From));
        Assert.Equal([bob, alice, bob], seenByAlice.Select(m => m.To));
    }

    [Fact]
    public async Task Nobody_reads_a_dialog_they_are_not_part_of()
    {
        var (alice, bob, mallory) = (Users.New("alice"), Users.New("bob"), Users.New("mallory"));
        await database.Client(alice).SendOk(bob, "secret");
        using var asMallory = database.Client(mallory);

        Assert.Empty(await asMallory.ListOk(alice));
        Assert.Empty(await asMallory.ListOk(bob));
        Assert.Single(await database.Client(bob).ListOk(alice));
    }

    [Fact]
    public async Task Paging_older_with_before_visits_every_message_once_in_order()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        var sent = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            sent.Add((await client.SendOk(bob, $"m{i}")).Id);
        }

        var seen = new List<string>();
        var query = "?limit=3";
        var pages = 0;
        while (true)
        {
            using var response = await client.List(bob, query);
            var page = (await response.Content.ReadFromJsonAsync<List<DialogMessage>>(Ct))!;
            seen.AddRange(page.Select(m => m.Id));
            pages++;
            if (!response.Headers.TryGetValues("Link", out var links))
            {
                break;
            }

            // Followed as given: the next page has the size asked for, and starts right after this one.
            var link = Assert.Single(links);
            Assert.Equal($"</dialog/{bob}/list?limit=3&before={page[^1].Id}>; rel=\"next\"", link);
            query = link[link.IndexOf('?')..link.IndexOf('>')];
        }

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(sent), seen);
    }

    [Fact]
    public async Task Paging_newer_with_after_returns_the_messages_right_after_the_cursor()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add((await client.SendOk(bob, $"m{i}")).Id);
        }

        using var first = await client.List(bob, $"?limit=2&after={ids[1]}");
        var page = (await first.Content.ReadFromJsonAsync<List<DialogMessage>>(Ct))!;
        Assert.Equal([ids[3], ids[2]], page.Select(m => m.Id));
        Assert.Equal($"</dialog/{bob}/list?limit=2&after={ids[3]}>; rel=\"prev\"", Assert.Single(first.Headers.GetValues("Link")));

        // Pages that are exactly full with nothing beyond them, either way: no Link sends a client after an empty page.
        using var last = await client.List(bob, $"?limit=2&after={ids[3]}");
        Assert.Equal([ids[5], ids[4]], (await last.Content.ReadFromJsonAsync<List<DialogMessage>>(Ct))!.Select(m => m.Id));
        Assert.False(last.Headers.Contains("Link"));
        using var oldest = await client.List(bob, $"?limit=2&before={ids[2]}");
        Assert.Equal([ids[1], ids[0]], (await oldest.Content.ReadFromJsonAsync<List<DialogMessage>>(Ct))!.Select(m => m.Id));
        Assert.False(oldest.Headers.Contains("Link"));
        Assert.Empty(await client.ListOk(bob, $"?after={ids[5]}"));
    }

    [Fact]
    public async Task A_page_holds_50_messages_by_default_and_at_most_200()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        for (var i = 0; i < 201; i++)
        {
            await client.SendOk(bob, $"m{i}");
        }

        Assert.Equal(50, (await client.ListOk(bob)).Count);
        Assert.Equal(200, (await client.ListOk(bob, "?limit=200")).Count);
        Assert.Single(await client.ListOk(bob, "?limit=1"));
    }

    [Fact]
    public async Task A_page_of_many_long_texts_arrives_whole_and_in_order()
    {
        // Several times the 16 KB the page is written out in, with characters JSON escapes and some it passes as UTF-8.
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        var texts = Enumerable.Range(0, 12)
            .Select(i => $"{i}" + string.Concat(Enumerable.Repeat(" привет \"it's\" <b>&</b> 😀", 160)))
            .ToList();
        foreach (var text in texts)
        {
            await client.SendOk(bob, text);
        }

        var page = await client.ListOk(bob, "?limit=200");

        Assert.Equal(texts.AsEnumerable().Reverse(), page.Select(message => message.Text));
    }

    [Fact]
    public async Task Retrying_a_send_with_the_same_idempotency_key_stores_one_message()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);

        var first = await client.SendOk(bob, "once", idempotencyKey: "key-1");
        var retry = await client.SendOk(bob, "once", idempotencyKey: "key-1");

        Assert.Equal(first, retry);
        Assert.Equal([first], await client.ListOk(bob));
    }

    [Fact]
    public async Task Retries_with_the_same_idempotency_key_in_flight_at_once_store_one_message_and_all_return_it()
    {
        // A client that times out and retries while its first request is still running: the inserts race for the key.
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.SendOk(bob, "at once", idempotencyKey: "racing")));

        var stored = Assert.Single(await client.ListOk(bob));
        Assert.All(answers, answer => Assert.Equal(stored, answer));
    }

    [Fact]
    public async Task Reusing_an_idempotency_key_for_another_text_is_422_and_stores_nothing()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        var first = await client.SendOk(bob, "original", idempotencyKey: "key-2");

        using var reuse = await client.Send(bob, "changed", idempotencyKey: "key-2");

        Assert.Equal("https://tools.ietf.org/html/rfc9110#section-15.5.21", (await AssertProblem(reuse, 422)).GetProperty("type").GetString());
        Assert.Equal([first], await client.ListOk(bob));
    }

    [Fact]
    public async Task An_idempotency_key_belongs_to_its_sender()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));

        using var asAlice = database.Client(alice);
        using var asBob = database.Client(bob);

        var fromAlice = await asAlice.SendOk(bob, "same words", idempotencyKey: "shared");
        var fromBob = await asBob.SendOk(alice, "other words", idempotencyKey: "shared");

        // Each one's retry finds their own message, not the other's under the same key.
        Assert.Equal(fromAlice, await asAlice.SendOk(bob, "same words", idempotencyKey: "shared"));
        Assert.Equal(fromBob, await asBob.SendOk(alice, "other words", idempotencyKey: "shared"));
        Assert.NotEqual(fromAlice.Id, fromBob.Id);
        Assert.Equal(2, (await asAlice.ListOk(bob)).Count);
    }

    [Fact]
    public async Task Text_is_stored_trimmed_and_counted_in_characters_not_utf16_units()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        var emoji = string.Concat(Enumerable.Repeat("😀", MessageText.MaxLength));

        var padded = await client.SendOk(bob, "  \n hi there \t ");
        var longest = await client.SendOk(bob, " " + new string('a', MessageText.MaxLength) + "\n");
        var emojis = await client.SendOk(bob, emoji);

        Assert.Equal("hi there", padded.Text);
        Assert.Equal(MessageText.MaxLength, longest.Text.Length);
        Assert.Equal(emoji, emojis.Text);
        Assert.Equal(3, (await client.ListOk(bob)).Count);
    }

    [Fact]
    public async Task Invisible_formatting_characters_are_kept_where_something_visible_comes_with_them()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        const string family = "\U0001F468\u200D\U0001F469\u200D\U0001F467"; // three emoji joined by zero-width joiners

        Assert.Equal(family, (await client.SendOk(bob, family)).Text);
        Assert.Equal("\u200fשלום", (await client.SendOk(bob, "\u200fשלום")).Text);
        Assert.Equal("cafe\u0301", (await client.SendOk(bob, "cafe\u0301")).Text); // an accent on its letter
        Assert.Equal("\u3164hi", (await client.SendOk(bob, "\u3164hi")).Text);
    }

    [Fact]
    public async Task Texts_come_back_in_their_own_letters_with_HTML_sensitive_characters_escaped()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        const string letters = "привет, Ωμέγα, 你好";
        const string text = letters + " <b>&'+`</b> 😀";

        using var sent = await client.Send(bob, text);
        using var page = await client.List(bob);

        foreach (var response in new[] { sent, page })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var json = await response.Content.ReadAsStringAsync(Ct);
            Assert.Contains(letters, json);
            Assert.DoesNotContain(json, c => c is '<' or '>' or '&' or '\'' or '+' or '`');
            Assert.Contains(@"\uD83D\uDE00", json, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(text, (await client.ListOk(bob)).Single().Text);
    }

    public static TheoryData<string, string, int> InvalidSends => new()
    {
        // content type, body, expected status
        { "application/json", "{}", 400 }, // no text
        { "application/json", """{"text":null}""", 400 }, // null text
        { "application/json", """{"text":""}""", 400 }, // empty text
        { "application/json", """{"text":" \n\t "}""", 400 }, // whitespace only
        { "application/json", """{"text":"\u200b\ufeff \u2060\u200f"}""", 400 }, // invisible: zero-width space, BOM, word joiner, bidi mark
        { "application/json", """{"text":"\u3164\u3164"}""", 400 }, // Hangul fillers, drawn as blanks
        { "application/json", """{"text":"\u115f\u1160 \uffa0"}""", 400 }, // the other Hangul fillers: choseong, jungseong, halfwidth
        { "application/json", """{"text":"\u2800"}""", 400 }, // the blank braille pattern
        { "application/json", """{"text":"\u0301"}""", 400 }, // a combining accent without its letter
        { "application/json", """{"text":"\uffff"}""", 400 }, // a noncharacter
        { "application/json", """{"text":"\udb40\udc20\udb40\udc7f"}""", 400 }, // tag characters, beyond U+FFFF
        { "application/json", """{"text":"a\u0000b"}""", 400 }, // NUL
        { "application/json", """{"text":"a\u0007b"}""", 400 }, // bell
        { "application/json", """{"text":"\u001b[31mred"}""", 400 }, // escape
        { "application/json", """{"text":"a\u007fb"}""", 400 }, // DEL
        { "application/json", """{"text":"\u009b31mred"}""", 400 }, // C1's CSI: a terminal's escape in one character
        { "application/json", """{"text":"a\ud800b"}""", 400 }, // unpaired surrogate
        { "application/json", """{"text":5}""", 400 }, // text is a number
        { "application/json", """{"text":""", 400 }, // malformed JSON
        { "application/json", "[]", 400 }, // JSON array
        { "application/json", "null", 400 }, // JSON null
        { "application/json", """{"text":"hi","text":"other"}""", 400 }, // text twice: which one was meant?
        { "application/json", """{"Text":"hi","text":"other"}""", 400 }, // the same, as names match ignoring case
        { "text/plain", """{"text":"hi"}""", 415 }, // text/plain
        { "application/x-www-form-urlencoded", "text=hi", 415 }, // form
        { "application/json; charset=iso-8859-1", """{"text":"caf\u00e9"}""", 415 }, // another charset: its text would be misread
        { "application/json; charset=utf-16", """{"text":"hi"}""", 415 },
    };

    [Theory]
    [MemberData(nameof(InvalidSends))]
    public async Task An_invalid_send_is_a_4xx_problem_and_stores_nothing(string contentType, string body, int status)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        var content = new StringContent(body);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        using var response = await client.PostAsync($"/dialog/{bob}/send", content, Ct);

        await AssertProblem(response, status);
        Assert.Empty(await client.ListOk(bob));
    }

    [Theory]
    // The position is where the value or member that does not fit begins.
    [InlineData("""{"text":5}""", "$.text (line 1, byte 9)")]
    [InlineData("""{"text":"hi","text":"other"}""", "$.text (line 1, byte 14)")]
    [InlineData("""["hi"]""", "$ (line 1, byte 1)")]
    [InlineData("""{"text":"a\ud800b"}""", "$.text (line 1, byte 9)")] // half a surrogate pair: no Unicode text
    [InlineData("{\n  \"text\": 5\n}", "$.text (line 2, byte 11)")]
    [InlineData("""﻿{"text":5}""", "$.text (line 1, byte 12)")] // a byte order mark counts among the body's bytes
    [InlineData("""{"text":5,,}""", "$.text (line 1, byte 9)")] // malformed only past the value that does not fit
    public async Task JSON_of_another_shape_is_400_saying_what_was_expected_and_where(string body, string where)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);

        using var response = await client.PostAsync($"/dialog/{bob}/send", new StringContent(body, null, "application/json"), Ct);

        Assert.Equal($$"""The body must be a JSON object like {"text": "..."}, each member given once, its strings valid Unicode; the JSON at {{where}} does not fit.""",
            await FieldError(response, "body"));
    }

    [Theory]
    [InlineData("""{"text":"hi",}""", "The body is not valid JSON at $ (line 1, byte 14): The JSON object contains a trailing comma at the end which is not supported in this mode.")]
    [InlineData("{\n\"text\":\"hi\" // why", "The body is not valid JSON at $ (line 2, byte 13): '/' is invalid after a value. Expected either ',', '}', or ']'.")]
    [InlineData("", """The body is empty: it must be a JSON object like {"text": "..."}.""")]
    [InlineData("\uFEFF \r\n", """The body is empty: it must be a JSON object like {"text": "..."}.""")] // a byte order mark and whitespace
    // A byte order mark counts among the body's bytes, which the answer counts from its first.
    [InlineData("""﻿{"text":"hi",}""", "The body is not valid JSON at $ (line 1, byte 17): The JSON object contains a trailing comma at the end which is not supported in this mode.")]
    [InlineData("\uFEFF{\n\"text\":\"hi\" // why", "The body is not valid JSON at $ (line 2, byte 13): '/' is invalid after a value. Expected either ',', '}', or ']'.")] // the mark is on line 1 only
    public async Task JSON_that_does_not_parse_is_400_saying_why_and_where(string body, string error)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);

        using var response = await client.PostAsync($"/dialog/{bob}/send", new StringContent(body, null, "application/json"), Ct);

        Assert.Equal(error, await FieldError(response, "body"));
    }

    [Theory]
    [InlineData("gzip", true)]
    [InlineData("gzip", false)] // declared, yet not compressed
    [InlineData("identity, br", false)]
    public async Task An_encoded_body_is_415_naming_identity_and_stores_nothing(string coding, bool compress)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        var json = """{"text":"hi"}"""u8.ToArray();
        var content = new ByteArrayContent(compress ? Gzip(json) : json);
        content.Headers.ContentType = new("application/json");
        content.Headers.TryAddWithoutValidation("Content-Encoding", coding);

        using var response = await client.PostAsync($"/dialog/{bob}/send", content, Ct);

        Assert.Equal(["identity"], response.Headers.GetValues("Accept-Encoding"));
        await AssertProblem(response, 415);
        Assert.Empty(await client.ListOk(bob));
    }

    [Theory]
    [InlineData("application/json", "identity")] // the one coding that is no coding
    [InlineData("application/vnd.dialogs.message+json", null)] // a +json media type, as ASP.NET Core reads JSON
    public async Task A_body_declared_as_plain_JSON_in_other_words_is_read(string contentType, string? coding)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        var content = new StringContent("""{"text":"hi"}""", null, contentType);
        if (coding is not null)
        {
            content.Headers.ContentEncoding.Add(coding);
        }

        using var response = await client.PostAsync($"/dialog/{bob}/send", content, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hi", Assert.Single(await client.ListOk(bob)).Text);
    }

    [Theory]
    [InlineData(false, 10)]
    [InlineData(true, 13)] // after a byte order mark, still counted from the body's first byte
    public async Task A_body_that_is_not_UTF8_is_400(bool byteOrderMark, int at)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        var content = new ByteArrayContent([.. byteOrderMark ? (byte[])[0xEF, 0xBB, 0xBF] : [], .. "{\"text\":\""u8, 0xFF, 0xFE, .. "\"}"u8]);
        content.Headers.ContentType = new("application/json");

        using var response = await client.PostAsync($"/dialog/{bob}/send", content, Ct);

        Assert.Equal($"The body is not valid UTF-8 (byte {at}).", await FieldError(response, "body"));
        Assert.Empty(await client.ListOk(bob));
    }

    [Fact]
    public async Task A_UTF8_body_is_read_with_a_byte_order_mark_and_a_quoted_charset()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        var content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. """{"text":"привет"}"""u8]);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json; charset=\"UTF-8\"");

        using var response = await client.PostAsync($"/dialog/{bob}/send", content, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("привет", Assert.Single(await client.ListOk(bob)).Text);
    }

    [Theory]
    [InlineData(4097, 400)]
    [InlineData(70_000, 413)]
    public async Task A_text_too_long_is_400_and_a_body_over_64_KiB_is_413(int length, int status)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);

        using var response = await client.Send(bob, new string('x', length));

        await AssertProblem(response, status);
        Assert.Empty(await client.ListOk(bob));
    }

    [Fact]
    public async Task A_chunked_body_over_64_KiB_is_413()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        var bytes = System.Text.Encoding.UTF8.GetBytes($$"""{"text":"{{new string('x', 70_000)}}"}""");
        var content = new StreamContent(new MemoryStream(bytes));
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentLength = null; // else computed from the seekable stream: sent chunked without it

        using var response = await client.PostAsync($"/dialog/{bob}/send", content, Ct);

        // RFC 9110's name for it, which the problem's type links to.
        Assert.Equal("Content too large", (await AssertProblem(response, 413)).GetProperty("title").GetString());
        Assert.Empty(await client.ListOk(bob));
    }

    [Fact]
    public async Task A_send_without_content_type_is_415()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);

        using var response = await client.PostAsync($"/dialog/{bob}/send", new ByteArrayContent("""{"text":"hi"}"""u8.ToArray()), Ct);

        await AssertProblem(response, 415);
        Assert.Empty(await client.ListOk(bob));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task A_body_of_another_media_type_is_refused_after_authentication_with_one_answer(string? contentType)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        HttpContent Body() => DialogsHttp.Labelled("""{"text":"hi"}"""u8.ToArray(), contentType);
        using var anonymous = database.Client();
        using var client = database.Client(alice);

        using var unauthenticated = await anonymous.PostAsync($"/dialog/{bob}/send", Body(), Ct);
        using var refused = await client.PostAsync($"/dialog/{bob}/send", Body(), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.StatusCode);
        var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal("The body must be UTF-8 JSON (Content-Type: application/json).", problem.GetProperty("detail").GetString());
        Assert.Empty(await client.ListOk(bob));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("bad!char")]
    [InlineData("dot.ted")]
    [InlineData("x123456789x123456789x123456789x123456789x123456789x123456789abcde")] // 65 characters
    [InlineData("%C3%A9t%C3%A9")] // "été"
    [InlineData("a%2Fb")]
    public async Task An_invalid_user_id_is_400_for_send_and_list(string userId)
    {
        var alice = Users.New("alice");
        using var client = database.Client(alice);

        using var send = await client.Send(userId, "hi");
        using var list = await client.List(userId);

        await AssertProblem(send, 400);
        await AssertProblem(list, 400);
    }

    [Fact]
    public async Task User_ids_of_64_characters_and_numeric_strings_are_valid()
    {
        var alice = Users.New("alice");
        using var client = database.Client(alice);
        var longest = "A-z_" + new string('9', 60);

        await client.SendOk(longest, "to the longest id");
        await client.SendOk("12345", "to a numeric id");

        Assert.Single(await client.ListOk(longest));
        Assert.Single(await client.ListOk("12345"));
    }

    [Fact]
    public async Task Sending_to_yourself_is_400_and_stores_nothing()
    {
        var alice = Users.New("alice");
        using var client = database.Client(alice);

        await AssertProblem(await client.Send(alice, "note to self"), 400);
        await AssertProblem(await client.List(alice), 400);

        await using var stored = database.DataSource.CreateCommand("SELECT count(*) FROM messages WHERE sender_id = $1");
        stored.Parameters.Add(new() { Value = alice });
        Assert.Equal(0L, await stored.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task A_UUID_user_id_names_the_same_user_in_either_case()
    {
        var (me, peer) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        using var client = database.Client(me);
        using var shouting = database.Client(me.ToUpperInvariant());

        await AssertProblem(await client.Send(me.ToUpperInvariant(), "note to self"), 400);
        await AssertProblem(await shouting.Send(me, "note to self"), 400);
        var sent = await shouting.SendOk(peer.ToUpperInvariant(), "one dialog");

        Assert.Equal((me, peer), (sent.From, sent.To));
        Assert.Equal([sent], await client.ListOk(peer));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("caf\u00e9")]
    [InlineData("x123456789x123456789x123456789x123456789x123456789x123456789x123456789x123456789x123456789x123456789x123456789x123456789x12345678")] // 129
    public async Task An_invalid_idempotency_key_is_400_and_stores_nothing(string key)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);

        await AssertProblem(await client.Send(bob, "hi", idempotencyKey: key), 400);
        Assert.Empty(await client.ListOk(bob));
    }

    [Fact]
    public async Task An_idempotency_key_of_128_visible_characters_is_valid()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        var key = "!~" + new string('k', 126);

        var first = await database.Client(alice).SendOk(bob, "hi", idempotencyKey: key);

        Assert.Equal(first, await database.Client(alice).SendOk(bob, "hi", idempotencyKey: key));
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=201")]
    [InlineData("?limit=-1")]
    [InlineData("?limit=ten")]
    [InlineData("?limit=")]
    [InlineData("?limit=1%00")]
    [InlineData("?before=not-an-id")]
    [InlineData("?after=12345")]
    [InlineData("?before=01a1ff9c-325d-7688-b396-daf262568e27&after=01a1ff9c-325d-7688-b396-daf262568e27")]
    [InlineData("?before=%2001a1ff9c-325d-7688-b396-daf262568e27")]
    [InlineData("?after=01a1ff9c-325d-7688-b396-daf262568e27%20")]
    [InlineData("?before=%7B01a1ff9c-325d-7688-b396-daf262568e27%7D")]
    [InlineData("?before={01a1ff9c-325d-7688-b396-daf262568e27}")]
    [InlineData("?before=01a1ff9c325d7688b396daf262568e27")]
    public async Task Invalid_paging_is_400(string query)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));

        await AssertProblem(await database.Client(alice).List(bob, query), 400);
    }

    [Theory]
    [InlineData("?limit=2&limit=3", "limit")]
    [InlineData("?limit=2&limit=", "limit")]
    [InlineData("?limit=&limit=2", "limit")]
    [InlineData("?before=01a1ff9c-325d-7688-b396-daf262568e27&before=01a1ff9c-325d-7688-b396-daf262568e27", "before")]
    [InlineData("?after=01a1ff9c-325d-7688-b396-daf262568e27&after=", "after")]
    public async Task A_paging_parameter_given_twice_is_400_saying_so(string query, string parameter)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));

        Assert.Equal($"Give {parameter} once.", await FieldError(await database.Client(alice).List(bob, query), parameter));
    }

    [Theory]
    [InlineData("?before=x&after=y", "after: after must be a message id, as a page returns it.; Give at most one of before and after."
        + "|before: before must be a message id, as a page returns it.; Give at most one of before and after.")]
    [InlineData("?limit=0&after=y&after=z", "after: Give after once.|limit: limit must be a whole number from 1 to 200.")]
    [InlineData("?after=y&before=01a1ff9c-325d-7688-b396-daf262568e27",
        "after: after must be a message id, as a page returns it.; Give at most one of before and after.|before: Give at most one of before and after.")]
    public async Task A_page_query_with_several_faults_is_400_naming_each(string query, string expected)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));

        using var response = await database.Client(alice).List(bob, query);

        var problem = await AssertProblem(response, 400);
        var errors = problem.GetProperty("errors").EnumerateObject()
            .Select(error => $"{error.Name}: {string.Join("; ", error.Value.EnumerateArray().Select(reason => reason.GetString()))}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, string.Join('|', errors));
        // The detail tells each fault once, also one listed under both cursors.
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.All(problem.GetProperty("errors").EnumerateObject().SelectMany(error => error.Value.EnumerateArray()).Select(reason => reason.GetString()!),
            reason => Assert.True(detail.IndexOf(reason, StringComparison.Ordinal) is >= 0 and var at
                                  && at == detail.LastIndexOf(reason, StringComparison.Ordinal), $"\"{reason}\" not once in \"{detail}\""));
    }

    [Fact]
    public async Task Health_openapi_and_alive_are_served()
    {
        using var client = database.Client();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive", Ct)).StatusCode);
        var document = await client.GetStringAsync("/openapi/v1.json", Ct);
        Assert.Contains("/dialog/{user_id}/send", document);
        Assert.Contains("/dialog/{user_id}/list", document);
        var paths = JsonDocument.Parse(document).RootElement.GetProperty("paths");
        // HEAD is served wherever GET is, and described once, as its GET.
        Assert.All(paths.EnumerateObject(), path => Assert.False(path.Value.TryGetProperty("head", out _), $"{path.Name} describes HEAD"));
        var list = paths.GetProperty("/dialog/{user_id}/list").GetProperty("get");
        Assert.Equal("array", OkSchema(list).GetProperty("type").GetString());
        var sent = OkSchema(paths.GetProperty("/dialog/{user_id}/send").GetProperty("post"));
        Assert.EndsWith("/DialogMessage", sent.GetProperty("$ref").GetString());
        var after = Parameter(list, "after");
        Assert.Contains("never skips", after.GetProperty("description").GetString());
        // The shapes' doc comments, which the build turns into the document's descriptions.
        var message = JsonDocument.Parse(document).RootElement.GetProperty("components").GetProperty("schemas").GetProperty("DialogMessage");
        Assert.StartsWith("A stored message: the base contract's from, to and text", message.GetProperty("description").GetString());
    }

    [Theory]
    [InlineData(null, "GET", "/dialog/bob/list", 401)]
    [InlineData("alice", "GET", "/no/such/path", 404)]
    [InlineData("alice", "GET", "/openapi/v2.json", 404)]
    [InlineData("alice", "PUT", "/dialog/bob/list", 405)]
    [InlineData("alice", "GET", "/admin/cluster", 403)]
    [InlineData("alice", "GET", "/dialog/bob/list?limit=0", 400)]
    public async Task An_error_is_a_problem_even_for_a_client_that_accepts_no_json(string? user, string method, string path, int status)
    {
        using var client = database.Client(user is null ? null : Users.New(user));
        using var asJsonClientsAsk = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);
        client.DefaultRequestHeaders.Accept.ParseAdd("application/xml");
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        // The same members as the problem a client that takes JSON gets.
        Assert.Equal(await MemberNamesAsync(asJsonClientsAsk), await MemberNamesAsync(response));
        await AssertProblem(response, status);
    }

    private static async Task<List<string>> MemberNamesAsync(HttpResponseMessage response) =>
        [.. JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.EnumerateObject().Select(member => member.Name).Order()];

    [Theory]
    [InlineData("GET", "/dialog/bob/send", "POST")]
    [InlineData("PUT", "/dialog/bob/send", "POST")]
    [InlineData("POST", "/dialog/bob/list", "GET, HEAD")]
    [InlineData("DELETE", "/dialog/bob/list", "GET, HEAD")]
    [InlineData("POST", "/health", "GET, HEAD")]
    [InlineData("DELETE", "/alive", "GET, HEAD")]
    [InlineData("PUT", "/openapi/v1.json", "GET, HEAD")]
    [InlineData("PUT", "/admin/cluster", "GET, HEAD")]
    [InlineData("POST", "/admin/cluster/rebalance/1", "DELETE, GET, HEAD")]
    public async Task A_method_a_path_does_not_serve_is_405_naming_those_it_does(string method, string path, string allowed)
    {
        using var client = database.Client(Users.New("alice"));

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        Assert.Equal(allowed, string.Join(", ", response.Content.Headers.Allow));
        await AssertProblem(response, 405);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    [InlineData("/openapi/v1.json")]
    public async Task A_probe_may_ask_for_health_or_the_document_with_HEAD(string path)
    {
        using var client = database.Client();

        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path), Ct);

        // Only the status: Kestrel drops a HEAD response's body, the in-memory test server does not.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task HEAD_on_a_page_answers_its_status_and_headers_without_the_body()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = database.Client(alice);
        for (var i = 0; i < 3; i++)
        {
            await client.SendOk(bob, $"m{i}");
        }

        using var get = await client.List(bob, "?limit=2");
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/dialog/{bob}/list?limit=2"), Ct);
        using var anonymous = database.Client();
        using var unsigned = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/dialog/{bob}/list"), Ct);
        using var invalid = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/dialog/{bob}/list?limit=0"), Ct);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(Assert.Single(get.Headers.GetValues("Link")), Assert.Single(head.Headers.GetValues("Link")));
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.Equal(get.Headers.CacheControl, head.Headers.CacheControl);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task The_OpenAPI_document_says_what_a_generated_client_must_send()
    {
        using var client = database.Client();
        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Ct)).RootElement;
        var paths = document.GetProperty("paths");
        var send = paths.GetProperty("/dialog/{user_id}/send").GetProperty("post");
        var list = paths.GetProperty("/dialog/{user_id}/list").GetProperty("get");

        Assert.False(document.TryGetProperty("servers", out var servers) && servers.GetArrayLength() > 0, "The document names a server.");
        var bearer = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal(("http", "bearer"), (bearer.GetProperty("type").GetString(), bearer.GetProperty("scheme").GetString()));
        // A send may also be refused for going beyond its sender's allowance, 429, which says when to send again.
        foreach (var (operation, errors) in new[] { (send, new[] { "500", "503", "429" }), (list, ["500", "503"]) })
        {
            Assert.True(operation.GetProperty("security").EnumerateArray().Single().TryGetProperty("Bearer", out _));
            Assert.True(operation.GetProperty("responses").TryGetProperty("401", out _));
            // A token that names no user is refused as a token, 401: the dialogs need no role.
            Assert.False(operation.GetProperty("responses").TryGetProperty("403", out _));
            // What a client of the base contract reads from an error, and when to try again.
            foreach (var status in errors)
            {
                var serverError = operation.GetProperty("responses").GetProperty(status);
                var members = serverError.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema")
                    .GetProperty("allOf").EnumerateArray().Single(schema => schema.TryGetProperty("properties", out _));
                // A send's 503 also says where the send may have been stored after all.
                string[] expected = operation.Equals(send) && status == "503" ? ["message", "request_id", "code", "outcome"] : ["message", "request_id", "code"];
                Assert.Equal(expected, members.GetProperty("properties").EnumerateObject().Select(member => member.Name));
                Assert.Equal("message", members.GetProperty("required").EnumerateArray().Single().GetString());
                Assert.Equal(status != "500", serverError.TryGetProperty("headers", out var headers) && headers.TryGetProperty("Retry-After", out _));
            }
        }

        Assert.True(send.GetProperty("responses").TryGetProperty("422", out _));
        // Reading has no limit to go beyond.
        Assert.False(list.GetProperty("responses").TryGetProperty("429", out _));
        var body = send.GetProperty("requestBody");
        Assert.True(body.GetProperty("required").GetBoolean());
        var bodySchema = body.GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Equal("text", bodySchema.GetProperty("required").EnumerateArray().Single().GetString());
        var text = bodySchema.GetProperty("properties").GetProperty("text");
        Assert.Equal((1, MessageText.MaxLength), (text.GetProperty("minLength").GetInt32(), text.GetProperty("maxLength").GetInt32()));
        var key = Parameter(send, "Idempotency-Key");
        Assert.Equal(("header", 128, "^[!-~]+$"), (key.GetProperty("in").GetString(),
            key.GetProperty("schema").GetProperty("maxLength").GetInt32(), key.GetProperty("schema").GetProperty("pattern").GetString()));
        Assert.Contains("rel=\"next\"", list.GetProperty("responses").GetProperty("200").GetProperty("headers").GetProperty("Link")
            .GetProperty("description").GetString());
        var limit = Parameter(list, "limit").GetProperty("schema");
        Assert.Equal("integer", limit.GetProperty("type").GetString());
        Assert.Equal((1, 200, 50), (limit.GetProperty("minimum").GetInt32(), limit.GetProperty("maximum").GetInt32(), limit.GetProperty("default").GetInt32()));
        Assert.All(new[] { "before", "after" }, cursor => Assert.Equal("uuid", Parameter(list, cursor).GetProperty("schema").GetProperty("format").GetString()));
        // Only a send has a key to retry with.
        Assert.Contains("Idempotency-Key", send.GetProperty("responses").GetProperty("503").GetProperty("description").GetString());
        Assert.DoesNotContain("Idempotency-Key", list.GetProperty("responses").GetProperty("503").GetRawText());
    }

    [Fact]
    public async Task The_OpenAPI_document_gives_numbers_the_type_they_are_written_in()
    {
        using var client = database.Client();
        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Ct)).RootElement;

        var numbers = Descendants(document).Where(schema => schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.Array
            && type.EnumerateArray().Any(name => name.GetString() is "integer" or "number")).ToList();

        Assert.NotEmpty(numbers);
        Assert.All(numbers, schema => Assert.DoesNotContain("string", schema.GetProperty("type").EnumerateArray().Select(name => name.GetString())));
    }

    /// <summary>The 400's one error for a field (the body, a query parameter), after checking it is one.</summary>
    private static async Task<string?> FieldError(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement
            .GetProperty("errors").GetProperty(field).EnumerateArray().Single().GetString();
    }

    private static IEnumerable<JsonElement> Descendants(JsonElement element) =>
        element.ValueKind switch
        {
            JsonValueKind.Object => element.EnumerateObject().SelectMany(member => Descendants(member.Value)).Prepend(element),
            JsonValueKind.Array => element.EnumerateArray().SelectMany(Descendants),
            _ => [],
        };

    private static JsonElement Parameter(JsonElement operation, string name) =>
        operation.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);

    private static JsonElement OkSchema(JsonElement operation) =>
        operation.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema");

    /// <returns>The problem, for what the caller checks beyond.</returns>
    internal static async Task<JsonElement> AssertProblem(HttpResponseMessage response, int status)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore, $"{status} without Cache-Control: no-store");
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        // In words a client can show, whatever else the body carries (errors, the base contract's message).
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), problem.GetRawText());
        // Says what to fix, without internals: the serializer's own messages name the API's .NET types.
        Assert.DoesNotContain("Dialogs.Api", problem.GetRawText());
        response.Dispose();
        return problem;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return compressed.ToArray();
    }
}

public sealed class DialogsApiOnPostgres(PlainPostgres database) : DialogsApiContract(database);

public sealed class DialogsApiOnCitus(CitusCluster database) : DialogsApiContract(database);
