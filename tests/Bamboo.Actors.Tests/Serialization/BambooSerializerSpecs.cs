using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Bamboo.Actors.Serialization;
using Bamboo.Actors.Serialization.Legacy;
using Google.Protobuf;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Serialization;

public sealed class BambooSerializerSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(Akka.Configuration.ConfigurationFactory.ParseString("akka.test.single-expect-default = 10s").WithFallback(BambooConfig.Serialization), output: output)
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
    public void Should_have_a_sample_and_a_manifest_for_every_durable_fact()
    {
        var factTypes = typeof(RunnerFact<>).GetNestedTypes()
            .Where(t => t is { IsAbstract: false, IsClass: true })
            .Select(t => t.MakeGenericType(typeof(IActorRef)))
            .Append(typeof(DurableRunnerState<IActorRef>))
            .ToList();
        var sampled = MessageSamples.Facts(CreateTestProbe().Ref, CreateTestProbe().Ref).Select(s => s.GetType()).ToHashSet();

        Assert.Equal(9, factTypes.Count);
        Assert.Empty(factTypes.Where(t => !sampled.Contains(t)).Select(t => $"no sample of {t.Name}"));
        Assert.Empty(factTypes.Where(t => !BambooSerializer.SupportedTypes.Contains(t)).Select(t => $"no manifest for {t.Name}"));
        Assert.Empty(factTypes.Where(t => Sys.Serialization.FindSerializerForType(t) is not BambooSerializer)
            .Select(t => $"{t.Name} is not bound to {nameof(BambooSerializer)}"));
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
            Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(serializer.ToBinary(copy)));
        });
    }

    [Fact]
    public void Should_give_every_bound_type_a_protobuf_manifest_distinct_from_the_first_format()
    {
        var serializer = Serializer();
        var boundTypes = typeof(BambooSerializer).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false, ContainsGenericParameters: false })
            .Append(typeof(DurableRunnerState<IActorRef>))
            .Concat(typeof(RunnerFact<>).GetNestedTypes().Where(t => t is { IsAbstract: false, IsClass: true }).Select(t => t.MakeGenericType(typeof(IActorRef))))
            .Where(t => Sys.Serialization.FindSerializerForType(t) is BambooSerializer)
            .ToHashSet();
        var samples = Samples().GroupBy(s => s.GetType()).ToDictionary(g => g.Key, g => g.First());

        Assert.True(boundTypes.Count >= 40, $"only {boundTypes.Count} bound types found");
        Assert.Empty(boundTypes.Where(t => !samples.ContainsKey(t)).Select(t => $"no sample of {t.FullName}"));
        Assert.All(boundTypes, type =>
        {
            var manifest = serializer.Manifest(samples[type]);
            Assert.Contains(manifest, BambooSerializer.Manifests);
            Assert.DoesNotContain(manifest, LegacyJsonReader.Manifests);
        });
        Assert.Empty(BambooSerializer.Manifests.Intersect(LegacyJsonReader.Manifests));
    }

    [Fact]
    public void Should_keep_the_stamps_of_events_with_instants_in_utc()
    {
        var serializer = Serializer();
        Assert.All(MessageSamples.StampedEvents, evt =>
        {
            var copy = (AgentEvent)RoundTrip(serializer, evt);
            Assert.Equal((evt.SessionId, evt.RunId, evt.Sequence, evt.Timestamp.UtcTicks, TimeSpan.Zero),
                (copy.SessionId, copy.RunId, copy.Sequence, copy.Timestamp.UtcTicks, copy.Timestamp.Offset));
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
    public void Should_give_each_type_its_own_short_stable_manifest_and_every_event_one_manifest()
    {
        var serializer = Serializer();
        var manifests = Samples().GroupBy(s => s.GetType()).ToDictionary(g => g.Key, g => serializer.Manifest(g.First()));
        var messages = manifests.Where(m => !typeof(AgentEvent).IsAssignableFrom(m.Key)).ToList();

        Assert.Equal(messages.Count, messages.Select(m => m.Value).Distinct().Count());
        Assert.All(manifests.Where(m => typeof(AgentEvent).IsAssignableFrom(m.Key)), m => Assert.Equal("E1", m.Value));
        Assert.All(manifests.Values, m => Assert.InRange(m.Length, 1, 3));
        // Manifests are on the wire and in journals: these must never change.
        Assert.Equal("C1", manifests[typeof(Reserve)]);
        Assert.Equal("C4", manifests[typeof(Publish)]);
        Assert.Equal("C9", manifests[typeof(SessionRunner.Stop)]);
        Assert.Equal("R15", manifests[typeof(RunnerSnapshot)]);
        Assert.Equal("E1", manifests[typeof(TokenDelta)]);
        Assert.Equal("F1", manifests[typeof(RunnerFact<IActorRef>.RunStarted)]);
        Assert.Equal("S1", manifests[typeof(DurableRunnerState<IActorRef>)]);
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
        var eventWithoutPayload = new Bamboo.Actors.Serialization.Proto.Publish { SessionId = "s1", RunId = "r", Event = new() }.ToByteArray();
        var finalizeRunning = new Bamboo.Actors.Serialization.Proto.Finalize
            { SessionId = "s1", RunId = "r", Status = Bamboo.Actors.Serialization.Proto.RunStatus.Running }.ToByteArray();
        var instantOutOfRange = new Bamboo.Actors.Serialization.Proto.Reserved { SessionId = "s1", RunId = "r", StartedAt = -1 }.ToByteArray();

        Assert.Throws<SerializationException>(() => serializer.FromBinary([0xFF, 0xFF, 0xFF], "C1"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary([0x0A, 0x05, 0x61], "C5"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(eventWithoutPayload, "C4"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(finalizeRunning, "C2"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(instantOutOfRange, "R1"));
        // The first format's reader too.
        Assert.Throws<SerializationException>(() => serializer.FromBinary("not json"u8.ToArray(), "RSV"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("""{"s":"s1","r":"r","e":{"t":"RSV"}}"""u8.ToArray(), "PUB"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("""{"s":"s1","r":"r","o":{"st":1}}"""u8.ToArray(), "FIN"));
        Assert.Throws<SerializationException>(() => serializer.ToBinary("not a protocol message"));
        Assert.Throws<SerializationException>(() => serializer.ToBinary(new Rejected("s1", null!)));
        Assert.Throws<SerializationException>(() => serializer.Manifest(new object()));
    }

    [Fact]
    public void Should_skip_fields_added_by_a_newer_version()
    {
        var serializer = Serializer();
        // Field 99 (length-delimited "x"), unknown to this version.
        byte[] unknownField = [0x9A, 0x06, 0x01, (byte)'x'];

        var copy = serializer.FromBinary([.. serializer.ToBinary(new AlreadyRunning("s1", "r1")), .. unknownField], "R2");

        Assert.Equal(new AlreadyRunning("s1", "r1"), copy);
    }

    [Fact]
    public void Should_still_read_the_first_format()
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
