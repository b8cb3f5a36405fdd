namespace Bamboo.Actors.Chaos.Checks;

/// <summary>Consecutive journal rows of one persistence id written by one writer.</summary>
/// <param name="Writer">The writer's uuid.</param>
/// <param name="From">First sequence number.</param>
/// <param name="To">Last sequence number.</param>
/// <param name="FirstWritten">Earliest row creation time.</param>
/// <param name="LastWritten">Latest row creation time.</param>
public sealed record WriterSegment(string Writer, long From, long To, DateTimeOffset FirstWritten, DateTimeOffset LastWritten);
