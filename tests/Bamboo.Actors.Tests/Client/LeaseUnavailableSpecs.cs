using Akka.Actor;
using Bamboo.Actors.Client;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Tests.Scenarios;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Client;

/// <summary>A transient journal error never kills a healthy run: the lease's executor survives an Unavailable answer to
/// something it sent after its reservation was granted (a publish whose write failed).</summary>
public sealed class LeaseUnavailableSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    [Fact]
    public async Task Should_keep_a_granted_lease_running_when_a_later_write_is_unavailable()
    {
        var client = new RunnerClient(Sys, Supervisor);
        await using var lease = await client.ReserveAsync("unavailable-later");
        Assert.Equal(LeaseStatus.Active, lease.Status);

        Watch(lease.Executor);

        lease.Executor.Tell(new Unavailable("unavailable-later", "journal unavailable: timeout"), Supervisor);

        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // the executor did not stop
        Assert.True(await lease.PublishAsync(new Events.TokenDelta("still here")));

        var status = Assert.IsType<RunnerSnapshot>(await client.GetStatusAsync("unavailable-later"));
        Assert.Equal((RunStatus.Running, lease.RunId), (status.Status, status.RunId));
        Assert.False(lease.CancellationToken.IsCancellationRequested);
        Assert.Equal(RunStatus.Completed, (await lease.CompleteAsync()).Status);
    }
}
