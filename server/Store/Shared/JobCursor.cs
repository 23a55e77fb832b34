using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Ci.Store;

/// <summary>
/// The opaque <see cref="JobQuery.Cursor"/>: the creation time and store row number of the last job of a page
/// (keyset paging, stable while new jobs arrive). Both stores hand out the same form.
/// </summary>
static class JobCursor
{
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string Encode(DateTime createdAt, long rowNumber) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{createdAt.ToString(TimeFormat, CultureInfo.InvariantCulture)}|{rowNumber}")));

    /// <exception cref="InvalidCursorException">Not a cursor a store handed out.</exception>
    public static (DateTime CreatedAt, long RowNumber) Decode(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var bar = text.IndexOf('|');
            if (bar > 0
                && DateTime.TryParseExact(text[..bar], TimeFormat, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var createdAt)
                && long.TryParse(text[(bar + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var rowNumber))
            {
                return (createdAt, rowNumber);
            }
        }
        catch (FormatException)
        {
        }
        throw new InvalidCursorException();
    }
}
