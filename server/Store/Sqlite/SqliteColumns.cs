using System.Data.Common;

namespace Ci.Store.Sqlite;

/// <summary>SQLite keeps ids as text ("D" form), times as text in <see cref="SqliteStore.TimeFormat"/>, flags as 0 or 1.</summary>
sealed class SqliteColumns : StoreColumns
{
    public static readonly SqliteColumns Instance = new();

    public override Guid Guid(DbDataReader reader, int ordinal) => System.Guid.Parse(reader.GetString(ordinal));

    public override DateTime Time(DbDataReader reader, int ordinal) => SqliteStore.ParseTime(reader.GetString(ordinal));

    public override bool Flag(DbDataReader reader, int ordinal) => reader.GetInt64(ordinal) != 0;
}
