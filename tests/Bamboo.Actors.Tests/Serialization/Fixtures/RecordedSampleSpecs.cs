using Akka.Configuration;
using Akka.Serialization;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Serialization;
using Xunit.Abstractions;

namespace Bamboo.Actors.Tests.Serialization.Fixtures;

/// <summary>
/// Bytes written by every wire format this library has used still decode to the values they were written from
/// (<see cref="RecordedSamples"/>). <c>samples.txt</c> of a format holds one line per value: the manifest, a space and
/// the payload in base64. <c>v1</c> is the first format (JSON, written by the hand-written codecs before the schemas),
/// <c>v2</c> the Protocol Buffers format of <c>Serialization/Proto</c>, written today.
/// </summary>
/// <remarks>
/// To record the samples appended to <see cref="RecordedSamples"/> since, in the current format, run this class with
/// <c>BAMBOO_RECORD_FIXTURES=1</c> and commit the changed file. Lines already recorded are never rewritten.
/// </remarks>
public sealed class RecordedSampleSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(BambooConfig.Serialization, RecordedSamples.SystemName, output)
{
    /// <summary>The format <see cref="BambooSerializer"/> writes today.</summary>
    private const string CurrentFormat = "v2";

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public void Should_decode_every_recorded_sample_to_the_value_it_was_written_from(string format)
    {
        var recorded = RecordedFormat.Read(format);
        var expected = RecordedSamples.All(Sys);

        Assert.NotEmpty(recorded);
        Assert.InRange(recorded.Count, 1, expected.Count);
        for (var i = 0; i < recorded.Count; i++)
        {
            var (manifest, bytes) = recorded[i];
            var decoded = Sys.Serialization.Deserialize(bytes, BambooSerializer.SerializerId, manifest);
            Assert.True(Equals(expected[i], decoded), $"{format} line {i + 1} ({manifest}): expected {expected[i]}, decoded {decoded}");
        }
    }

    [Fact]
    public void Should_have_recorded_every_manifest_and_sample_in_the_current_format_as_it_is_written_today()
    {
        var serializer = Assert.IsType<BambooSerializer>(Sys.Serialization.FindSerializerForType(typeof(Bamboo.Actors.Protocol.RunnerCommands.GetStatus)));
        var expected = RecordedSamples.All(Sys);
        if (Environment.GetEnvironmentVariable("BAMBOO_RECORD_FIXTURES") == "1")
            RecordedFormat.Append(CurrentFormat, expected.Skip(RecordedFormat.Read(CurrentFormat).Count)
                .Select(value => (serializer.Manifest(value), serializer.ToBinary(value))));

        var recorded = RecordedFormat.Read(CurrentFormat);

        Assert.True(recorded.Count == expected.Count,
            $"{expected.Count - recorded.Count} samples are not recorded in {CurrentFormat}: run this spec with BAMBOO_RECORD_FIXTURES=1");
        Assert.Empty(BambooSerializer.Manifests.Except(recorded.Select(r => r.Manifest)).Select(m => $"no recorded sample of '{m}'"));
        for (var i = 0; i < recorded.Count; i++)
        {
            // The format is stable: today's writer still writes exactly what was recorded.
            Assert.Equal(recorded[i].Manifest, serializer.Manifest(expected[i]));
            Assert.True(recorded[i].Bytes.AsSpan().SequenceEqual(serializer.ToBinary(expected[i])),
                $"{CurrentFormat} line {i + 1} ({recorded[i].Manifest}): {expected[i]} is no longer written as recorded");
        }
    }

    [Fact]
    public void Should_have_recorded_every_manifest_of_the_first_format()
    {
        var recorded = RecordedFormat.Read("v1").Select(r => r.Manifest).ToHashSet();

        Assert.Empty(Bamboo.Actors.Serialization.Legacy.LegacyJsonReader.Manifests.Where(m => !recorded.Contains(m))
            .Select(m => $"no recorded sample of '{m}'"));
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public void Should_resolve_recorded_actor_references_to_their_recorded_paths(string format)
    {
        var recorded = RecordedFormat.Read(format);
        var (manifest, bytes) = recorded[1];

        var reserve = Assert.IsType<Bamboo.Actors.Protocol.RunnerCommands.Reserve>(Sys.Serialization.Deserialize(bytes, BambooSerializer.SerializerId, manifest));

        Assert.Equal(RecordedSamples.ExecutorPath, Akka.Serialization.Serialization.SerializedActorPath(reserve.Executor!));
    }
}

/// <summary>Reads and appends a format's <c>samples.txt</c>.</summary>
internal static class RecordedFormat
{
    public static string Folder(string format) => Path.Combine(AppContext.BaseDirectory, "Serialization", "Fixtures", format);

    public static IReadOnlyList<(string Manifest, byte[] Bytes)> Read(string format)
    {
        var file = Path.Combine(Folder(format), "samples.txt");
        if (!File.Exists(file)) return [];
        return File.ReadLines(file)
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' ', 2))
            .Select(parts => (parts[0], Convert.FromBase64String(parts[1])))
            .ToList();
    }

    /// <summary>Appends to the source tree's copy (the test output's copy is rebuilt from it).</summary>
    public static void Append(string format, IEnumerable<(string Manifest, byte[] Bytes)> samples, [System.Runtime.CompilerServices.CallerFilePath] string source = "")
    {
        var file = Path.Combine(Path.GetDirectoryName(source)!, format, "samples.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        if (!File.Exists(file))
            File.WriteAllText(file, $"# Recorded {format} samples: manifest, space, payload in base64; the values are RecordedSamples.All, in order.\n");
        File.AppendAllLines(file, samples.Select(s => $"{s.Manifest} {Convert.ToBase64String(s.Bytes)}"));
        // The next read (this run) sees what was appended.
        Directory.CreateDirectory(Folder(format));
        File.Copy(file, Path.Combine(Folder(format), "samples.txt"), overwrite: true);
    }
}
