using System.Text.RegularExpressions;

namespace Ci.Admin.Commands;

/// <summary>The email check of <c>user create</c>.</summary>
internal static partial class EmailAddress
{
    // Deliberately loose (local@domain.tld, no spaces): it catches typos, the mail system is the real judge.
    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s.]+$")]
    private static partial Regex Shape();

    public static void EnsureValid(string email)
    {
        if (!Shape().IsMatch(email.Trim()))
        {
            throw new AdminException($"Invalid email format: {email}");
        }
    }
}
