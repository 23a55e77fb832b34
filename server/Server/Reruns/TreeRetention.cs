namespace Ci.Server.Reruns;

/// <summary>
/// How long a job's tree (its upload) is kept after the job ended, so that <c>ci rerun</c> can run it again without
/// an upload (<c>--keep-trees-hours</c>); zero deletes it when the job ends, as before reruns existed.
/// </summary>
public sealed record TreeRetention(TimeSpan Keep)
{
    /// <summary>The default of <c>--keep-trees-hours</c>.</summary>
    public const int DefaultHours = 72;

    /// <summary>The most <c>--keep-trees-hours</c> accepts (a year).</summary>
    public const int MaxHours = 24 * 366;

    /// <summary>Whether ended jobs keep their tree.</summary>
    public bool KeepsTrees => Keep > TimeSpan.Zero;
}
