using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Bamboo.Actors.Serialization;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Serialization;

public sealed class BambooSerializerSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(BambooConfig.Serialization, output: output)
{
    private IReadOnlyList<object> Samples() => MessageSamples.All(CreateTestProbe().Ref, CreateTestProbe().Ref);

    [Fact]
    public void Should_have_a_sample_and_a_manifest_for_every_message_type_of_the_library()
    {
        var messageTypes = typeof(BambooSerializer).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false, ContainsGenericParameters: false })
            .Where(t => typeof(IWithSessionId).IsAssignableFrom(t) || typeof(IRunnerCommand).IsAssignableFrom(t)
                || typeof(IRunnerReply).IsAssignableFrom(t) || typeof(AgentEvent).IsAssignableFrom(t)
                || t == typeof(SessionRunner.Stop))
            .OrderBy(t => t.FullName)
            .ToList();
        var sampled = Samples().Select(s => s.GetType()).ToHashSet();

        Assert.True(messageTypes.Count >= 33, $"only {messageTypes.Count} message types found");
        Assert.Empty(messageTypes.Where(t => !sampled.Contains(t)).Select(t => $"no sample of {t.FullName}"));
        Assert.Empty(messageTypes.Where(t => !BambooSerializer.SupportedTypes.Contains(t)).Select(t => $"no manifest for {t.FullName}"));
        Assert.Empty(messageTypes.Where(t => Sys.Serialization.FindSerializerForType(t) is not BambooSerializer)
            .Select(t => $"{t.FullName} is not bound to {nameof(BambooSerializer)}"));
    }

    [Fact]
    public void Should_round_trip_every_message_through_the_bamboo_serializer()
    {
        Assert.All(Samples(), sample =>
        {
            var serializer = Sys.Serialization.FindSerializerFor(sample);
            Assert.IsType<BambooSerializer>(serializer);
            Assert.Equal(BambooSerializer.SerializerId, serializer.Identifier);

            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, sample);
            var bytes = serializer.ToBinary(sample);
            var copy = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);

            Assert.Equal(sample, copy);
            // Equality of instants ignores their offsets; identical bytes on a second trip show nothing was lost.
            Assert.Equal(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(serializer.ToBinary(copy)));
        });
    }

    [Fact]
    public void Should_keep_the_stamps_of_events()
    {
        var serializer = Serializer();
        Assert.All(MessageSamples.StampedEvents, evt =>
        {
            var copy = (AgentEvent)RoundTrip(serializer, evt);
            Assert.Equal((evt.SessionId, evt.RunId, evt.Sequence, evt.Timestamp, evt.Timestamp.Offset),
                (copy.SessionId, copy.RunId, copy.Sequence, copy.Timestamp, copy.Timestamp.Offset));
            var published = (Publish)RoundTrip(serializer, new Publish("s1", "r1", evt));
            Assert.Equal(evt, published.Event);
        });
    }

    [Fact]
    public void Should_resolve_actor_references_to_the_same_actors()
    {
        var executor = CreateTestProbe();
        var subscriber = CreateTestProbe();
        var serializer = Serializer();

        var reserve = (Reserve)RoundTrip(serializer, new Reserve("s1", Executor: executor.Ref));
        var subscribe = (Subscribe)RoundTrip(serializer, new Subscribe("s1", subscriber.Ref));
        var unsubscribe = (Unsubscribe)RoundTrip(serializer, new Unsubscribe("s1", subscriber.Ref));

        Assert.Equal(executor.Ref, reserve.Executor);
        Assert.Equal(subscriber.Ref, subscribe.Subscriber);
        Assert.Equal(subscriber.Ref, unsubscribe.Subscriber);
        reserve.Executor!.Tell("ping");
        executor.ExpectMsg("ping");
        subscribe.Subscriber.Tell("pong");
        subscriber.ExpectMsg("pong");
    }

    [Fact]
    public void Should_round_trip_missing_optional_fields_as_null()
    {
        var serializer = Serializer();

        var reserve = (Reserve)RoundTrip(serializer, new Reserve("s1"));
        var snapshot = (RunnerSnapshot)RoundTrip(serializer,
            new RunnerSnapshot("s1", RunStatus.Pending, null, null, null, null, null, 0, null, null, false, 0, 0, 0, null));
        var invalid = (InvalidCommand)RoundTrip(serializer, new InvalidCommand(null, "bad"));

        Assert.Null(reserve.Executor);
        Assert.Null(reserve.Deadline);
        Assert.Null(snapshot.RunId);
        Assert.Null(snapshot.StartedAt);
        Assert.Null(snapshot.CompletedAt);
        Assert.Null(snapshot.Error);
        Assert.Null(snapshot.LastEventAt);
        Assert.Null(snapshot.LastToolName);
        Assert.Null(snapshot.LastToolPhase);
        Assert.Null(snapshot.DeadlineAt);
        Assert.Null(invalid.SessionId);
        Assert.Null(((Subscribe)RoundTrip(serializer, new Subscribe("s1", TestActor))).AfterSequence);
        Assert.Null(((Subscribe)RoundTrip(serializer, new Subscribe("s1", null!))).Subscriber);
        Assert.Null(((RunCancelling)RoundTrip(serializer, new RunCancelling(null))).Reason);
        Assert.Null(((Cancel)RoundTrip(serializer, new Cancel("s1"))).RunId);
    }

    [Fact]
    public void Should_give_each_type_its_own_short_stable_manifest()
    {
        var serializer = Serializer();
        var manifests = Samples().GroupBy(s => s.GetType()).ToDictionary(g => g.Key, g => serializer.Manifest(g.First()));

        Assert.Equal(manifests.Count, manifests.Values.Distinct().Count());
        Assert.All(manifests.Values, m => Assert.InRange(m.Length, 1, 3));
        // Manifests are on the wire: these must never change.
        Assert.Equal("RSV", manifests[typeof(Reserve)]);
        Assert.Equal("PUB", manifests[typeof(Publish)]);
        Assert.Equal("SNP", manifests[typeof(RunnerSnapshot)]);
        Assert.Equal("ETD", manifests[typeof(TokenDelta)]);
        Assert.Equal("STP", manifests[typeof(SessionRunner.Stop)]);
        Assert.Equal(4711, BambooSerializer.SerializerId);
    }

    [Fact]
    public void Should_reject_an_unknown_manifest_with_a_clear_message()
    {
        var serializer = Serializer();

        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "ZZZ"));

        Assert.Contains("'ZZZ'", error.Message);
        Assert.Contains("manifest", error.Message);
        Assert.Throws<SerializationException>(() => Sys.Serialization.Deserialize("{}"u8.ToArray(), BambooSerializer.SerializerId, "ZZZ"));
    }

    [Fact]
    public void Should_reject_a_malformed_payload_with_a_serialization_exception()
    {
        var serializer = Serializer();

        Assert.Throws<SerializationException>(() => serializer.FromBinary("not json"u8.ToArray(), "RSV"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("[]"u8.ToArray(), "GST"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("""{"s":1}"""u8.ToArray(), "GST"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("""{"s":"s1","r":"r","e":{"t":"RSV"}}"""u8.ToArray(), "PUB"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("""{"s":"s1","r":"r","o":{"st":1}}"""u8.ToArray(), "FIN"));
        Assert.Throws<SerializationException>(() => serializer.ToBinary("not a protocol message"));
        Assert.Throws<SerializationException>(() => serializer.Manifest(new object()));
    }

    [Fact]
    public void Should_ignore_unknown_properties_written_by_a_newer_version()
    {
        var copy = Serializer().FromBinary("""{"future":{"a":[1,2]},"s":"s1","zz":true,"longerPropertyName":"x","r":"r1"}"""u8.ToArray(), "ARN");

        Assert.Equal(new AlreadyRunning("s1", "r1"), copy);
    }

    [Fact]
    public void Should_serialize_text_with_unpaired_surrogates_instead_of_failing()
    {
        var copy = (TokenDelta)RoundTrip(Serializer(), new TokenDelta("a\uD800b"));

        Assert.Equal("a\uFFFDb", copy.Text);
    }

    [Fact]
    public void Should_round_trip_a_large_event_then_small_ones_again()
    {
        var serializer = Serializer();
        var large = new TokenDelta(new string('x', 200_000) + "😀") { SessionId = "s1", RunId = "r1", Sequence = 1 };

        Assert.Equal(large, RoundTrip(serializer, large));
        Assert.Equal(new GetStatus("s1"), RoundTrip(serializer, new GetStatus("s1")));
    }

    [Fact]
    public void Should_serialize_concurrently()
    {
        var serializer = Serializer();
        var samples = Samples();

        Parallel.For(0, 2_000, i =>
        {
            var sample = samples[i % samples.Count];
            Assert.Equal(sample, RoundTrip(serializer, sample));
        });
    }

    [Fact]
    public void Should_bind_every_message_in_a_plain_system_created_with_the_library_defaults()
    {
        var plain = ActorSystem.Create("plain", BambooConfig.Default);
        try
        {
            Assert.All(Samples(), s => Assert.IsType<BambooSerializer>(plain.Serialization.FindSerializerFor(s)));
            Assert.Equal(TimeSpan.FromMinutes(2), BambooConfig.RunnerSettings(plain).IdleTimeout);
        }
        finally
        {
            Shutdown(plain);
        }
    }

    [Fact]
    public void Should_fall_back_to_the_default_serializer_without_the_library_configuration()
    {
        // What the explicit configuration is for: a system created without it would send messages as generic JSON.
        var plain = ActorSystem.Create("unconfigured");
        try
        {
            Assert.IsNotType<BambooSerializer>(plain.Serialization.FindSerializerFor(new GetStatus("s1")));
        }
        finally
        {
            Shutdown(plain);
        }
    }

    private BambooSerializer Serializer() => Assert.IsType<BambooSerializer>(Sys.Serialization.FindSerializerFor(new GetStatus("s1")));

    private static object RoundTrip(SerializerWithStringManifest serializer, object message) =>
        serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
}
