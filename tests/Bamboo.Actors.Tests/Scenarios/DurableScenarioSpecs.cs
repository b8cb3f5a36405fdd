using Xunit.Abstractions;

namespace Bamboo.Actors.Tests.Scenarios;

// Every scenario again with DurableSessionRunner: persisting facts before acknowledging must change no behaviour.

/// <summary>SubscriptionSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurableSubscriptionSpecs(ITestOutputHelper output) : SubscriptionSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>PublishSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurablePublishSpecs(ITestOutputHelper output) : PublishSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>InterruptSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurableInterruptSpecs(ITestOutputHelper output) : InterruptSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>EnqueueSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurableEnqueueSpecs(ITestOutputHelper output) : EnqueueSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>FinalizeSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurableFinalizeSpecs(ITestOutputHelper output) : FinalizeSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>ReserveSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurableReserveSpecs(ITestOutputHelper output) : ReserveSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>PassivationSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurablePassivationSpecs(ITestOutputHelper output) : PassivationSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>IdleTimeoutSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurableIdleTimeoutSpecs(ITestOutputHelper output) : IdleTimeoutSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>SessionIdSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurableSessionIdSpecs(ITestOutputHelper output) : SessionIdSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>BadInputSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurableBadInputSpecs(ITestOutputHelper output) : BadInputSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>CancelSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurableCancelSpecs(ITestOutputHelper output) : CancelSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>ExecutorDeathSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurableExecutorDeathSpecs(ITestOutputHelper output) : ExecutorDeathSpecs(output)
{
    protected override bool Durable => true;
}

/// <summary>DeadlineSpecs, with event-sourced sessions (in-memory journal).</summary>
public sealed class DurableDeadlineSpecs(ITestOutputHelper output) : DeadlineSpecs(output)
{
    protected override bool Durable => true;
}
