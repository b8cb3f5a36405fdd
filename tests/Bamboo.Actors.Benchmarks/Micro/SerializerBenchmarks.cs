using Akka.Actor;
using Akka.Serialization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Benchmarks.Micro;

/// <summary>
/// The library's serializer: serialize then deserialize one representative message of each family, as a message
/// crossing nodes (or a fact the journal writes, then recovers) pays it. The <c>Payload B</c> column is the size of the
/// serialized message (without its manifest).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PayloadConfig))]
public class SerializerBenchmarks
{
    /// <summary>The message families.</summary>
    public enum Family
    {
        /// <summary>An executor's <c>Publish</c> of a token delta (the most frequent command).</summary>
        Command,
        /// <summary><c>Reserved</c> (every run's first reply).</summary>
        Reply,
        /// <summary>A stamped token delta, as subscribers on other nodes receive it.</summary>
        Event,
        /// <summary><c>RunStarted</c> with its executor's reference (every durable run's first fact).</summary>
        Fact,
        /// <summary>A durable session's snapshot: a running run with its executor and one queued run.</summary>
        Snapshot,
    }

    private ActorSystem _system = null!;
    private SerializerWithStringManifest _serializer = null!;
    private object _message = null!;
    private string _manifest = null!;

    /// <summary>The family measured.</summary>
    [ParamsAllValues]
    public Family Message { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_system, _serializer) = Start();
        _message = Sample(Message, _system);
        _manifest = _serializer.Manifest(_message);
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait();

    /// <summary>Serialize, then deserialize.</summary>
    [Benchmark]
    public object RoundTrip() => _serializer.FromBinary(_serializer.ToBinary(_message), _manifest);

    private static (ActorSystem, SerializerWithStringManifest) Start()
    {
        var system = ActorSystem.Create("bench", BambooConfig.Serialization);
        system.ActorOf(Props.Empty, "executor");
        return (system, (SerializerWithStringManifest)system.Serialization.FindSerializerForType(typeof(GetStatus)));
    }

    private static object Sample(Family family, ActorSystem system)
    {
        const string session = "session-0123456789";
        const string runId = "6f1c2a9e-4b7d-4e0f-9a51-3d2b8c7e1f00";
        var now = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(1_234_567);
        var executor = system.ActorSelection("/user/executor").ResolveOne(TimeSpan.FromSeconds(5)).Result;
        return family switch
        {
            Family.Command => new Publish(session, runId, new TokenDelta("Hello, wor")),
            Family.Reply => new Reserved(session, runId, now),
            Family.Event => new TokenDelta("Hello, wor") { SessionId = session, RunId = runId, Sequence = 42, Timestamp = now },
            Family.Fact => new RunnerFact<IActorRef>.RunStarted(runId, now, now.AddHours(1), executor),
            Family.Snapshot => new DurableRunnerState<IActorRef>(RunStatus.Running, runId, now, null, null, false, executor,
                now.AddHours(1), 3, "search", ToolPhase.Finished, 1024,
                [new RunnerFact<IActorRef>.RunEnqueued("0b8e4f62-1d3c-4a7b-8e95-c2f1a0d6b734", executor, executor, TimeSpan.FromMinutes(5))]),
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
        };
    }

    private sealed class PayloadConfig : ManualConfig
    {
        public PayloadConfig() => AddColumn(new PayloadColumn());
    }

    /// <summary>Bytes of the serialized message of a row (computed once per family, outside the measurement).</summary>
    private sealed class PayloadColumn : IColumn
    {
        private static readonly Lazy<IReadOnlyDictionary<Family, int>> Sizes = new(() =>
        {
            var (system, serializer) = Start();
            try
            {
                return Enum.GetValues<Family>().ToDictionary(f => f, f => serializer.ToBinary(Sample(f, system)).Length);
            }
            finally
            {
                system.Terminate().Wait();
            }
        });

        public string Id => nameof(PayloadColumn);
        public string ColumnName => "Payload B";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Size of the serialized message, manifest not included";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(Message))?.Value is Family family
                ? Sizes.Value[family].ToString(System.Globalization.CultureInfo.InvariantCulture)
                : "-";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
    }
}
