using Akka.Actor.Setup;
using Akka.Hosting;
using Akka.Hosting.Coordination;
using Bamboo.Actors.Hosting;

namespace Bamboo.Actors.Coordination;

/// <summary>
/// <see cref="SqlLease"/> as an Akka.Hosting lease option, on the journal's database of <paramref name="persistence"/>:
/// what sharding's <c>LeaseImplementation</c> and the Split Brain Resolver's <c>lease-majority</c> take.
/// </summary>
public sealed class SqlLeaseOptions(BambooPersistenceOptions persistence) : LeaseOptionBase
{
    /// <inheritdoc />
    public override string ConfigPath => SqlLeaseHocon.ConfigPath;

    /// <inheritdoc />
    public override Type Class => typeof(SqlLease);

    /// <inheritdoc />
    public override void Apply(AkkaConfigurationBuilder builder, Setup? setup = null) =>
        builder.AddHocon(SqlLeaseHocon.FromPersistence(persistence), HoconAddMode.Prepend);
}
