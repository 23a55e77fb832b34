using Ci.Server.Isolation;
using Ci.Server.Jobs;

namespace Ci.Server.Runner;

public static class RunnerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the job runner (a hosted service) and its <see cref="RunningJobs"/> as the <see cref="IJobDispatcher"/>.
    /// Needs a <see cref="JobLifecycle"/>.
    /// </summary>
    public static IServiceCollection AddJobRunner(this IServiceCollection services, RunnerOptions options)
    {
        services.AddSingleton(options);
        // Probed once per process (the options' defaults already asked); the sandbox, job user and network read it.
        services.AddSingleton(HostCapabilities.Current);
        services.AddSingleton<RunningJobs>();
        services.AddSingleton<IJobDispatcher>(provider => provider.GetRequiredService<RunningJobs>());
        services.AddSingleton<IRunnerChannel, LocalRunnerChannel>();
        services.AddSingleton<JobRunner>();
        services.AddHostedService(provider => provider.GetRequiredService<JobRunner>());
        return services;
    }
}
