namespace Bamboo.Actors.Server.Tests;

public sealed class ShutdownSpecs
{
    [Fact]
    public async Task Should_cancel_active_runs_and_close_event_streams_on_shutdown()
    {
        var server = await RunningServer.StartAsync();
        await using var sse = await SseClient.ConnectAsync(server.Http, RunningServer.Path("shutdown-1", "/events"));
        var managed = await server.StartRunAsync("shutdown-1", """{"agent":"sleep","durationMs":600000}""");
        var (_, reservation) = await server.PostAsync(RunningServer.Path("shutdown-2", "/reservations"), "{}");
        Assert.Equal("execution_started", (await sse.NextEventAsync()).Event);

        var stopping = server.DisposeAsync().AsTask();

        var frames = await sse.EventsUntilAsync("execution_finished");
        var finished = frames[^1];
        Assert.Equal((managed, "cancelled"), (finished.Json.GetProperty("runId").GetString(), finished.Json.GetProperty("status").GetString()));
        Assert.Contains(frames, f => f.Event == "run_cancelling" && f.Json.GetProperty("reason").GetString() == "shutting down");
        // Then the stream ends cleanly, once the drain has waited out the shutdown grace for the external worker.
        Assert.Empty(await sse.RemainingEventsAsync(seconds: 30));
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(reservation.GetProperty("runId").GetString());
    }
}
