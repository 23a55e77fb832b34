namespace Ci.Store;

/// <summary>The time both stores write.</summary>
static class StoreClock
{
    /// <summary>Now, cut to the millisecond (the finest both stores keep) so that what a store returns equals what a later read returns.</summary>
    public static DateTime Now(TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }
}
