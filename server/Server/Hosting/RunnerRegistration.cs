using Ci.Server.Jobs;

namespace Ci.Server.Hosting;

/// <summary>Wires the job runner (server/Server/Runner) with the command line's runner options.</summary>
internal static class RunnerRegistration
{
    public static IServiceCollection AddJobRunnerHook(this IServiceCollection services, ServerOptions options)
    {
        // MERGE-RUNNER: register JobRunner (hosted service + IJobDispatcher) with RunnerOptions from options.
        _ = options;
        services.AddSingleton<IJobDispatcher, NoJobRunner>();
        return services;
    }
}
