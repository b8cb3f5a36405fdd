using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Bamboo.Actors.Server.Infrastructure;

/// <summary>
/// The server (Kestrel) behind a check of the addresses it actually bound, however they were configured (<c>--urls</c>,
/// <c>ASPNETCORE_URLS</c>, <c>Kestrel:Endpoints</c>, <c>HTTP_PORTS</c>, code): without an API key, any address that is not
/// loopback stops the start with <see cref="UnprotectedListenException"/>. Kestrel accepts connections as soon as it has
/// bound, before its start returns, so every request waits at a gate until the check has passed; if it fails, those
/// requests are aborted unanswered and the server is stopped: not one request is served.
/// </summary>
internal sealed class ListenGuardServer(IServer inner, bool apiKeyConfigured) : IServer
{
    public IFeatureCollection Features => inner.Features;

    public async Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull
    {
        var gate = new Gate<TContext>(application);
        await inner.StartAsync(gate, cancellationToken);
        var addresses = inner.Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
        if (apiKeyConfigured || (addresses.Length > 0 && ApiKeyAuthentication.AllLoopback(addresses)))
        {
            gate.Open();
            return;
        }

        gate.Refuse();
        await inner.StopAsync(CancellationToken.None);
        var beyondLoopback = addresses.Where(address => !ApiKeyAuthentication.IsLoopback(address)).ToArray();
        throw new UnprotectedListenException(beyondLoopback.Length > 0
            ? $"Refusing to serve on {string.Join(", ", beyondLoopback)} without an API key: set {ApiKeyAuthentication.ConfigurationKey} " +
              "(environment Bamboo__ApiKey) or listen on loopback addresses only (127.0.0.1, [::1], localhost)."
            : $"Refusing to serve without an API key: the server reported no bound address to check. Set {ApiKeyAuthentication.ConfigurationKey} " +
              "(environment Bamboo__ApiKey).");
    }

    public Task StopAsync(CancellationToken cancellationToken) => inner.StopAsync(cancellationToken);

    public void Dispose() => inner.Dispose();

    /// <summary>Replaces the registered <see cref="IServer"/> with itself around it.</summary>
    public static void Decorate(IServiceCollection services, bool apiKeyConfigured)
    {
        var registered = services.LastOrDefault(service => service.ServiceType == typeof(IServer))
            ?? throw new InvalidOperationException("No HTTP server is registered to guard.");
        services.Remove(registered);
        Func<IServiceProvider, IServer> innerServer;
        if (registered.ImplementationInstance is IServer instance) innerServer = _ => instance;
        else if (registered.ImplementationFactory is { } factory) innerServer = provider => (IServer)factory(provider);
        else
        {
            // Let the container build the server exactly as it would have, under its own type.
            var type = registered.ImplementationType!;
            services.Add(ServiceDescriptor.Singleton(type, type));
            innerServer = provider => (IServer)provider.GetRequiredService(type);
        }
        services.AddSingleton<IServer>(provider => new ListenGuardServer(innerServer(provider), apiKeyConfigured));
    }

    /// <summary>Holds requests until the bound addresses are checked; then passes them on, or aborts them.</summary>
    private sealed class Gate<TContext>(IHttpApplication<TContext> application) : IHttpApplication<TContext> where TContext : notnull
    {
        private readonly TaskCompletionSource<bool> _decision = new(TaskCreationOptions.RunContinuationsAsynchronously);
        // Only requests that arrive before the decision are kept here, to abort them if it is a refusal.
        private readonly ConcurrentDictionary<object, IFeatureCollection> _waiting = new(ReferenceEqualityComparer.Instance);
        private volatile bool _open;

        public void Open()
        {
            _open = true;
            _decision.TrySetResult(true);
        }

        public void Refuse() => _decision.TrySetResult(false);

        public TContext CreateContext(IFeatureCollection contextFeatures)
        {
            var context = application.CreateContext(contextFeatures);
            if (!_open) _waiting[context] = contextFeatures;
            return context;
        }

        public Task ProcessRequestAsync(TContext context) =>
            _open ? application.ProcessRequestAsync(context) : ProcessAfterDecisionAsync(context);

        public void DisposeContext(TContext context, Exception? exception)
        {
            _waiting.TryRemove(context, out _);
            application.DisposeContext(context, exception);
        }

        private async Task ProcessAfterDecisionAsync(TContext context)
        {
            if (await _decision.Task)
            {
                await application.ProcessRequestAsync(context);
                return;
            }
            if (_waiting.TryRemove(context, out var features)) features.Get<IHttpRequestLifetimeFeature>()?.Abort();
        }
    }
}

/// <summary>The server would listen beyond loopback without an API key.</summary>
public sealed class UnprotectedListenException(string message) : InvalidOperationException(message);
