using System.Net;

namespace Bamboo.Actors.Server.Tests;

public sealed class WorkerApiSpecs(TightServerFixture fixture) : IClassFixture<TightServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Should_reserve_publish_and_finalize_for_an_external_worker()
    {
        var (reserved, reservation) = await Server.PostAsync(RunningServer.Path("worker-1", "/reservations"), """{"deadlineMs":60000}""");
        Assert.Equal(HttpStatusCode.Created, reserved.StatusCode);
        Assert.Equal("running", reservation.GetProperty("status").GetString());
        var runId = reservation.GetProperty("runId").GetString();

        var (published, ack) = await Server.PostAsync(RunningServer.Path("worker-1", $"/runs/{runId}/events"), """{"type":"tool_lifecycle","toolName":"search","phase":"begin"}""");
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        Assert.Equal(2, ack.GetProperty("sequence").GetInt64());
        Assert.False(ack.GetProperty("cancelRequested").GetBoolean());

        var (finalized, result) = await Server.PostAsync(RunningServer.Path("worker-1", $"/runs/{runId}/finalize"), """{"outcome":"completed"}""");
        Assert.Equal(HttpStatusCode.OK, finalized.StatusCode);
        Assert.Equal(("worker-1", runId, "completed"),
            (result.GetProperty("sessionId").GetString(), result.GetProperty("runId").GetString(), result.GetProperty("status").GetString()));

        var (again, repeat) = await Server.PostAsync(RunningServer.Path("worker-1", $"/runs/{runId}/finalize"), """{"outcome":"error","error":"late"}""");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(("already_finalized", "completed"), (repeat.GetProperty("error").GetString(), repeat.GetProperty("status").GetString()));
        var snapshot = (await Server.GetAsync(RunningServer.Path("worker-1"))).Body;
        Assert.Equal(("search", "begin"), (snapshot.GetProperty("lastToolName").GetString(), snapshot.GetProperty("lastToolPhase").GetString()));
    }

    [Fact]
    public async Task Should_tell_the_worker_through_its_heartbeat_that_cancellation_was_requested()
    {
        var (_, reservation) = await Server.PostAsync(RunningServer.Path("worker-2", "/reservations"), "");
        var runId = reservation.GetProperty("runId").GetString();
        await Server.PostAsync(RunningServer.Path("worker-2", "/cancel"), $$"""{"runId":"{{runId}}"}""");

        var (_, ack) = await Server.PostAsync(RunningServer.Path("worker-2", $"/runs/{runId}/events"), """{"type":"runner_progress","roundCount":3}""");

        Assert.True(ack.GetProperty("cancelRequested").GetBoolean());
        var (_, result) = await Server.PostAsync(RunningServer.Path("worker-2", $"/runs/{runId}/finalize"), """{"outcome":"cancelled"}""");
        Assert.Equal("cancelled", result.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Should_fence_a_stale_worker_with_409_stale_run()
    {
        var (_, first) = await Server.PostAsync(RunningServer.Path("worker-3", "/reservations"), "{}");
        var stale = first.GetProperty("runId").GetString();
        await Server.PostAsync(RunningServer.Path("worker-3", $"/runs/{stale}/finalize"), """{"outcome":"error","error":"crashed"}""");
        var (_, second) = await Server.PostAsync(RunningServer.Path("worker-3", "/reservations"), "{}");
        var current = second.GetProperty("runId").GetString();

        var (publish, publishBody) = await Server.PostAsync(RunningServer.Path("worker-3", $"/runs/{stale}/events"), """{"type":"token_delta","text":"late"}""");
        var (finalize, finalizeBody) = await Server.PostAsync(RunningServer.Path("worker-3", $"/runs/{stale}/finalize"), """{"outcome":"completed"}""");
        var (cancel, cancelBody) = await Server.PostAsync(RunningServer.Path("worker-3", "/cancel"), $$"""{"runId":"{{stale}}"}""");

        foreach (var (response, body) in new[] { (publish, publishBody), (finalize, finalizeBody), (cancel, cancelBody) })
        {
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal(("stale_run", current), (body.GetProperty("error").GetString(), body.GetProperty("runId").GetString()));
        }
        var snapshot = (await Server.GetAsync(RunningServer.Path("worker-3"))).Body;
        Assert.Equal(("running", current), (snapshot.GetProperty("status").GetString(), snapshot.GetProperty("runId").GetString()));
        await Server.PostAsync(RunningServer.Path("worker-3", "/cancel"), "{}");
    }

    [Fact]
    public async Task Should_end_a_vanished_workers_run_at_its_deadline()
    {
        var (_, reservation) = await Server.PostAsync(RunningServer.Path("worker-4", "/reservations"), """{"deadlineMs":200}""");

        var snapshot = await Server.WaitForStatusAsync("worker-4", "error");

        Assert.Equal(reservation.GetProperty("runId").GetString(), snapshot.GetProperty("runId").GetString());
        Assert.Equal("deadline exceeded", snapshot.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Should_answer_409_already_running_to_a_second_reservation()
    {
        var (_, first) = await Server.PostAsync(RunningServer.Path("worker-5", "/reservations"), "{}");

        var (response, body) = await Server.PostAsync(RunningServer.Path("worker-5", "/reservations"), """{"onConflict":"reject"}""");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(first.GetProperty("runId").GetString(), body.GetProperty("runId").GetString());
        await Server.PostAsync(RunningServer.Path("worker-5", "/cancel"), "{}");
    }
}
