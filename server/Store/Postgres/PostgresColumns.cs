using System.Data.Common;

namespace Ci.Store.Postgres;

/// <summary>PostgreSQL has uuid, timestamptz (read back as UTC) and boolean.</summary>
sealed class PostgresColumns : StoreColumns
{
    public static readonly PostgresColumns Instance = new();

    public override Guid Guid(DbDataReader reader, int ordinal) => reader.GetGuid(ordinal);

    public override DateTime Time(DbDataReader reader, int ordinal) => DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc);

    public override bool Flag(DbDataReader reader, int ordinal) => reader.GetBoolean(ordinal);
}
