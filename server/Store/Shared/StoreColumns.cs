using System.Data.Common;

namespace Ci.Store;

/// <summary>
/// How one database keeps the values both stores share, so that the row shapes (<see cref="JobRows"/>,
/// <see cref="UserRows"/>) are written once: SQLite keeps ids and times as text and flags as integers, PostgreSQL
/// has uuid, timestamptz and boolean.
/// </summary>
abstract class StoreColumns
{
    public abstract Guid Guid(DbDataReader reader, int ordinal);

    /// <summary>A UTC time.</summary>
    public abstract DateTime Time(DbDataReader reader, int ordinal);

    public abstract bool Flag(DbDataReader reader, int ordinal);

    public DateTime? NullableTime(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Time(reader, ordinal);
}
