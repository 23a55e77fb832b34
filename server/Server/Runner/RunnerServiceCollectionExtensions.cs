using Ci.Server.Jobs;

namespace Ci.Server.Runner;

public static class RunnerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the job runner as the <see cref="IJobDispatcher"/> and as a hosted service. Needs an
    /// <see cref="Ci.Store.IJobStore"/> and an <see cref="IJobLogSink"/>.
    /// </summary>
    public static IServiceCollection AddJobRunner(this IServiceCollection services, RunnerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<JobRunner>();
        services.AddSingleton<IJobDispatcher>(provider => provider.GetRequiredService<JobRunner>());
        services.AddHostedService(provider => provider.GetRequiredService<JobRunner>());
        return services;
    }
}
