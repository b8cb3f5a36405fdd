using System.Globalization;
using Xunit.Abstractions;

namespace Bamboo.Actors.Server.Tests.Fuzzing;

/// <summary>
/// The HTTP fuzzer against two real server processes (durable, the default SQLite store): one without an API key, one
/// with one (a quarter of whose requests carry a missing or wrong key). 5,000 fuzzed requests by default (CI); a long run:
/// <code>BAMBOO_FUZZ_REQUESTS=200000 dotnet test tests/Bamboo.Actors.Server.Tests --filter FullyQualifiedName~HttpFuzzSpecs</code>
/// Every run prints its seed; <c>BAMBOO_FUZZ_SEED=&lt;seed&gt;</c> replays it (each lane's requests are the same;
/// their interleaving follows the machine).
/// </summary>
public sealed class HttpFuzzSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ApiKey = "fuzz-key-0123456789";

    private readonly string _data = Path.Combine(Path.GetTempPath(), "bamboo-fuzz-tests", Guid.NewGuid().ToString("N"));
    private readonly List<ServerProcess> _servers = [];

    [Fact]
    public async Task Should_never_answer_5xx_hang_or_change_state_on_rejected_requests()
    {
        var requests = Setting("BAMBOO_FUZZ_REQUESTS", 5_000);
        var seed = (int)Setting("BAMBOO_FUZZ_SEED", Random.Shared.Next());
        output.WriteLine($"HTTP fuzz: seed {seed}, {requests:N0} requests (BAMBOO_FUZZ_SEED={seed} BAMBOO_FUZZ_REQUESTS={requests} to replay)");
        string[] Settings(string name) =>
        [
            $"--Bamboo:Persistence:DataFolder={Path.Combine(_data, name)}",
            // Sessions under check must not change by themselves: no passivation (a recovered session renumbers its
            // next events) during the run.
            "--Bamboo:IdleTimeout=01:00:00",
        ];
        var open = ServerProcess.StartAsync(Settings("open"));
        var keyed = ServerProcess.StartAsync([.. Settings("keyed"), $"--Bamboo:ApiKey={ApiKey}"]);
        _servers.Add(await open);
        _servers.Add(await keyed);

        var fuzzer = new HttpFuzzer(seed, requests, line => output.WriteLine(line));
        var report = await fuzzer.RunAsync(
        [
            new FuzzTarget("open", _servers[0], ApiKey: null, FuzzLanes: 4, ValidLanes: 1, Share: 0.65),
            new FuzzTarget("keyed", _servers[1], ApiKey, FuzzLanes: 2, ValidLanes: 1, Share: 0.35),
        ]);

        output.WriteLine($"seed {seed}: {report.Summary()}");
        Assert.True(report.Violations.IsEmpty,
            $"HTTP fuzz seed {seed} (replay: BAMBOO_FUZZ_SEED={seed} BAMBOO_FUZZ_REQUESTS={requests}): {report.Violations.Count} violations; " +
            $"the first:{Environment.NewLine}{string.Join(Environment.NewLine, report.Violations.Take(5))}");
        Assert.True(report.FuzzRequests >= requests, $"only {report.FuzzRequests} of {requests} requests were sent");
    }

    private static long Setting(string name, long fallback) =>
        long.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers) await server.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
