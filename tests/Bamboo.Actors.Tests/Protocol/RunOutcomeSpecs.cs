using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Tests.Protocol;

public sealed class RunOutcomeSpecs
{
    public static TheoryData<Exception> Cancellations => new()
    {
        new OperationCanceledException(),
        new OperationCanceledException("stopped", new CancellationToken(canceled: true)),
        new TaskCanceledException(),
        new AggregateException(new OperationCanceledException()),
        new AggregateException(new OperationCanceledException(), new TaskCanceledException()),
        new AggregateException(new AggregateException(new TaskCanceledException()), new OperationCanceledException()),
    };

    [Theory]
    [MemberData(nameof(Cancellations))]
    public void Should_map_cancellations_to_Cancelled(Exception exception)
    {
        var outcome = RunOutcome.FromException(exception);

        Assert.Same(RunOutcome.Cancelled, outcome);
        Assert.Equal(RunStatus.Cancelled, outcome.Status);
        Assert.Null(outcome.Error);
    }

    [Fact]
    public void Should_map_a_cancellation_thrown_by_a_cancelled_task_to_Cancelled()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var task = Task.Run(() => cts.Token.ThrowIfCancellationRequested(), cts.Token);

        var exception = Assert.Throws<AggregateException>(() => task.Wait());

        Assert.Same(RunOutcome.Cancelled, RunOutcome.FromException(exception));
    }

    [Fact]
    public void Should_map_any_other_exception_to_Error_with_its_message()
    {
        var outcome = RunOutcome.FromException(new InvalidOperationException("tool crashed"));

        Assert.Equal(RunOutcome.Failed("tool crashed"), outcome);
        Assert.Equal(RunStatus.Error, outcome.Status);
        Assert.Equal("tool crashed", outcome.Error);
    }

    [Fact]
    public void Should_map_an_aggregate_with_any_non_cancellation_to_Error_with_the_aggregate_message()
    {
        var aggregate = new AggregateException("two things failed", new OperationCanceledException(), new TimeoutException("slow"));

        var outcome = RunOutcome.FromException(aggregate);

        Assert.Equal(RunStatus.Error, outcome.Status);
        Assert.Equal(aggregate.Message, outcome.Error);
    }

    [Fact]
    public void Should_map_an_empty_aggregate_to_Error()
    {
        var aggregate = new AggregateException("nothing inside");

        Assert.Equal(RunOutcome.Failed(aggregate.Message), RunOutcome.FromException(aggregate));
    }

    [Fact]
    public void Should_not_treat_a_timeout_or_an_exception_wrapping_a_cancellation_as_cancelled()
    {
        Assert.Equal(RunStatus.Error, RunOutcome.FromException(new TimeoutException("late")).Status);
        Assert.Equal(RunStatus.Error,
            RunOutcome.FromException(new InvalidOperationException("outer", new OperationCanceledException())).Status);
    }

    [Fact]
    public void Should_refuse_a_null_exception()
    {
        Assert.Throws<ArgumentNullException>(() => RunOutcome.FromException(null!));
    }

    [Theory]
    [InlineData(RunStatus.Completed, null, null)]
    [InlineData(RunStatus.Completed, "ignored", null)]
    [InlineData(RunStatus.Cancelled, "ignored", null)]
    [InlineData(RunStatus.Error, "boom", "boom")]
    [InlineData(RunStatus.Error, null, "")]
    public void Should_rebuild_a_terminal_outcome_from_its_parts(RunStatus status, string? error, string? expectedError)
    {
        var outcome = RunOutcome.Of(status, error);

        Assert.Equal((status, expectedError), (outcome.Status, outcome.Error));
    }

    [Theory]
    [InlineData(RunStatus.Pending)]
    [InlineData(RunStatus.Running)]
    [InlineData((RunStatus)42)]
    public void Should_refuse_to_rebuild_an_outcome_that_is_not_terminal(RunStatus status)
    {
        Assert.Throws<ArgumentException>(() => RunOutcome.Of(status));
    }

    [Fact]
    public void Should_turn_a_null_failure_message_into_an_empty_one()
    {
        Assert.Equal("", RunOutcome.Failed(null!).Error);
    }
}
