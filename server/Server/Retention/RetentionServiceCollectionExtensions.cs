namespace Ci.Server.Retention;

/// <summary>Registers <see cref="JobRetentionService"/> unless <c>--retention-days 0</c> keeps everything.</summary>
public static class RetentionServiceCollectionExtensions
{
    public static IServiceCollection AddJobRetention(this IServiceCollection services, ServerOptions options)
    {
        if (options.RetentionDays <= 0)
            return services;
        // A TimeProvider registered by a test, else the system clock.
        services.AddSingleton(sp => new JobRetentionService(sp.GetRequiredService<Ci.Store.IJobRetention>(), options,
            sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<ILogger<JobRetentionService>>()));
        services.AddHostedService(sp => sp.GetRequiredService<JobRetentionService>());
        return services;
    }
}
