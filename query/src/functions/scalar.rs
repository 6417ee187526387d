//! Scalar functions, SQLite's semantics.

use braid_engine::Value;

use crate::error::{DataError, Error, Result};
use crate::value::{format_real, numeric, sort_cmp, to_f64_lossy, to_i64_lossy, to_number, to_text};

/// What a `has_*_privilege` function asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivilegeOn {
    /// `has_table_privilege`, `has_any_column_privilege`.
    Table,
    /// `has_column_privilege(table, column, privilege)`: the table's (no column ACLs).
    Column,
    Schema,
    Sequence,
    /// Databases and functions: Braid keeps no ACL for them; PUBLIC holds CONNECT, TEMP
    /// and EXECUTE, as PostgreSQL's defaults give them.
    Other,
}

impl PrivilegeOn {
    pub fn function_name(self) -> &'static str {
        match self {
            PrivilegeOn::Table => "has_table_privilege",
            PrivilegeOn::Column => "has_column_privilege",
            PrivilegeOn::Schema => "has_schema_privilege",
            PrivilegeOn::Sequence => "has_sequence_privilege",
            PrivilegeOn::Other => "has_database_privilege",
        }
    }
}

/// A scalar function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarFunction {
    Abs,
    Length,
    Lower,
    Upper,
    Substr,
    Trim,
    Ltrim,
    Rtrim,
    Replace,
    Round,
    /// `ceil(x)`, `ceiling(x)`
    Ceil,
    /// `floor(x)`
    Floor,
    /// `trunc(x [, digits])`: toward zero.
    Trunc,
    /// `numeric(x, typmod)`: a NUMERIC fitted to `numeric(p, s)` (what a cast to it runs).
    NumericTypmod,
    /// `int4(x)`, `x::integer`: an integer in `integer`'s range (22003).
    Int4,
    /// The result of `integer` arithmetic, checked to lie in `integer`'s range (22003
    /// otherwise); shown as the arithmetic alone.
    IntegerResult,
    /// `int2(x)`, `x::smallint`: an integer in `smallint`'s range (22003).
    Int2,
    /// `x::uuid`: text checked as a UUID (22P02) and written in PostgreSQL's form.
    Uuid,
    /// `pg_typeof(x)`; the binder adds the declared type's OID it knows (0: none).
    PgTypeOf,
    TypeOf,
    Coalesce,
    IfNull,
    NullIf,
    Instr,
    Hex,
    Random,
    /// `max(a, b, …)` with two or more arguments.
    Greatest,
    /// `min(a, b, …)` with two or more arguments.
    Least,
    Char,
    Unicode,
    Iif,
    Sign,
    Concat,
    Quote,
    ZeroBlob,
    Version,
    /// `concat_ws(separator, …)`: the non-NULL arguments joined.
    ConcatWs,
    /// `likely(x)`, `unlikely(x)`: planner hints, the value itself.
    Likely,
    /// `unhex(text)`: the blob the hex digits spell, NULL if they do not.
    Unhex,
    // Functions of the session (`functions::session`): not deterministic, never folded.
    /// `current_setting(name [, missing_ok])`
    CurrentSetting,
    /// `set_config(name, value, is_local)`: sets and returns the value.
    SetConfig,
    /// `current_user`, `user`, `current_role`: the role privileges are checked against.
    CurrentUser,
    /// `session_user`: the role the session logged in as (or SET SESSION AUTHORIZATION).
    SessionUser,
    /// `current_database()`, `current_catalog`
    CurrentDatabase,
    /// `current_schema()`: the first schema of the search path.
    CurrentSchema,
    /// `current_schemas(include_implicit)`: the search path as a text array literal.
    CurrentSchemas,
    /// `pg_backend_pid()`
    BackendPid,
    /// `now()`, `CURRENT_TIMESTAMP`, `transaction_timestamp()`: when the transaction began.
    Now,
    /// `clock_timestamp()`, `statement_timestamp()`: the time of the call.
    ClockTimestamp,
    /// `CURRENT_DATE`: midnight (UTC) of the transaction's day.
    CurrentDate,
    /// `quote_ident(text)`: the name quoted if it needs to be.
    QuoteIdent,
    /// `pg_encoding_to_char(int)`: Braid's one encoding, UTF8 (6).
    EncodingToChar,
    /// `pg_is_in_recovery()`: false — Braid has no standby mode.
    InRecovery,
    /// `acldefault(kind, owner)`: NULL, the ACL every object has while Braid has no
    /// privileges of its own to grant (the catalogs' `*acl` columns are NULL too, which
    /// pg_dump reads as "nothing granted beyond the default").
    AclDefault,
    /// `pg_get_triggerdef(oid [, pretty])`: NULL, as for any OID `pg_trigger` does not list
    /// (it lists none: Braid's triggers are not in the catalogs yet). Likewise
    /// `pg_get_statisticsobjdef_columns(oid)` for `pg_statistic_ext`, which lists none.
    GetTriggerDef,
    /// `obj_description(oid [, catalog])` and `col_description(table, column)`: the comment
    /// on an object (COMMENT ON), NULL for none; `shobj_description` (databases, roles):
    /// NULL, none can have one yet.
    Description,
    /// `pg_table_is_visible(oid)` and kin: every relation lives in `public`, on the path.
    IsVisible,
    /// `pg_table_is_visible(oid)`: whether the search path finds the relation by its bare name.
    TableIsVisible,
    /// `has_table_privilege(…)` and kin, answered from the ACLs (`functions::privilege`).
    HasPrivilege(PrivilegeOn),
    /// `format_type(type_oid, typmod)`: the SQL name of a type.
    FormatType,
    /// `pg_get_expr(expr, relation)`: catalogs keep expressions as SQL text already.
    GetExpr,
    /// `text ~ pattern` (and `~*` with a third argument `true`: without case).
    RegexMatch,
    /// `pg_get_indexdef(oid [, column [, pretty]])`: reads the catalog.
    GetIndexDef,
    /// `pg_get_constraintdef(oid [, pretty])`: reads the catalog.
    GetConstraintDef,
    /// `array_to_string(array, separator [, null_text])` of an array in its text form.
    ArrayToString,
    /// `x::type[]`: the text of an array, checked and written in PostgreSQL's form.
    ArrayIn,
    /// `array_contains(array, x)`: `x = ANY (array)` for an array value — true if an element
    /// equals `x` (compared as text), NULL if none does but one is NULL, else false.
    ArrayContains,
    /// `array_remove(array, x)`: the array without the elements equal to `x`.
    ArrayRemove,
    /// `array_length(array, dim)` and `array_upper(array, dim)`: the number of elements
    /// along dimension 1 (arrays are one-dimensional and start at 1); NULL for an empty
    /// array or another dimension, as in PostgreSQL.
    ArrayLength,
    /// `array_lower(array, dim)`: 1, or NULL for an empty array or another dimension.
    ArrayLower,
    /// `cardinality(array)`: the number of elements, 0 for an empty array.
    Cardinality,
    /// `pg_table_size(regclass)` and `pg_relation_size(regclass [, fork])`: the bytes of a
    /// table's rows or an index's entries, keys and values as stored (the backend's pages
    /// and free space not counted); 0 for a view or catalog, NULL for no relation.
    RelationSize,
    /// `pg_indexes_size(regclass)`: the bytes of a table's indexes' entries.
    IndexesSize,
    /// `pg_total_relation_size(regclass)`: the table's and its indexes' bytes.
    TotalRelationSize,
    /// `pg_database_size(name | oid)`: the bytes of every table and index.
    DatabaseSize,
    /// `pg_get_viewdef(view [, pretty])`: the view's query as it was written, ending in
    /// `;` as PostgreSQL's does; the view is an OID or a name.
    GetViewDef,
    /// `pg_tablespace_location(oid)`: '' — the built-in tablespaces live in the data directory.
    TablespaceLocation,
    /// `value[i]`: an element of an array (its text form, from 1), of an `int2vector` /
    /// `oidvector` (numbers separated by spaces, from 0), or a character of a `name` (from
    /// 0, as PostgreSQL's `name` is an array of characters); NULL out of range.
    Subscript,
    /// `pg_relation_is_publishable(oid)`: whether the relation is a user table (what
    /// logical replication could publish).
    Publishable,
    /// `quote_literal(x)`: `x` as a string literal (quotes doubled; with backslashes, the
    /// `E'…'` form), NULL for NULL.
    QuoteLiteral,
    /// `x::regproc`: a function's name. The catalogs keep function references as names
    /// already (`pg_am.amhandler`), so a name stays as it is; OID 0 is `-`, as PostgreSQL
    /// prints it.
    RegProc,
    /// `pg_size_pretty(bytes)`: `8192 bytes`, `16 kB`, `3 MB`, … as PostgreSQL rounds them.
    SizePretty,
    /// A JSON function or operator ([`super::json`]).
    Json(super::json::JsonFunction),
    /// Date and time functions (`functions::datetime`).
    Time(super::datetime::TimeFunction),
    /// `pg_get_serial_sequence(table, column)`: the sequence OWNED BY the column
    /// (`public.t_id_seq`), or NULL.
    SerialSequence,
    /// `nextval(sequence)`: the sequence's next value, taken for good (see
    /// `braid_engine::sequence`); the sequence is a name or an OID.
    Nextval,
    /// `currval(sequence)`: the value this session's last `nextval` of it returned.
    Currval,
    /// `setval(sequence, value [, is_called])`: where the sequence stands.
    Setval,
    /// `lastval()`: the value this session's last `nextval` returned.
    Lastval,
    /// A column of a sequence read as a relation (`SELECT last_value, is_called FROM s`):
    /// `sequence_column(oid, 0)` is `last_value`, 1 `log_cnt`, 2 `is_called`.
    SequenceColumn,
    /// `to_regtype(name)`: the OID of the type of that name, or NULL.
    ToRegType,
    /// `to_regclass(name)`: the OID of the relation of that name, or NULL.
    ToRegClass,
    /// `x::regclass`: an OID kept, or a relation's name read as its OID (42P01 if none).
    RegClass,
    /// `x::regtype`: an OID kept, or a type's name read as its OID (42704 if none).
    RegType,
    /// `x::regnamespace`: an OID kept, or a schema's name read as its OID (3F000 if none).
    RegNamespace,
    /// `x::regclass::text`, and a `::regclass` result column: the relation's name for an
    /// OID (the OID's digits if no relation has it), as PostgreSQL prints a regclass.
    RegClassName,
    /// The same for `::regtype` (`format_type`) and `::regnamespace` (the schema's name).
    RegTypeName,
    RegNamespaceName,
    /// `pg_get_userbyid(oid)`: the role's name (every object is owned by OID 10, the
    /// session's superuser).
    GetUserById,
    /// `pg_get_function_result(oid)` and kin: NULL for an OID that is not a function's, which
    /// every OID is while `pg_proc` lists none.
    FunctionInfo,
}

impl ScalarFunction {
    /// The function of this name, checking the number of arguments.
    pub fn lookup(name: &str, args: usize) -> Result<Option<Self>> {
        use ScalarFunction::*;
        let (f, min, max) = match name {
            "abs" => (Abs, 1, 1),
            "length" | "char_length" | "character_length" | "octet_length" => (Length, 1, 1),
            "lower" => (Lower, 1, 1),
            "upper" => (Upper, 1, 1),
            "substr" | "substring" => (Substr, 2, 3),
            "trim" => (Trim, 1, 2),
            "ltrim" => (Ltrim, 1, 2),
            "rtrim" => (Rtrim, 1, 2),
            "replace" => (Replace, 3, 3),
            "round" => (Round, 1, 2),
            "ceil" | "ceiling" => (Ceil, 1, 1),
            "floor" => (Floor, 1, 1),
            "trunc" => (Trunc, 1, 2),
            "numeric" => (NumericTypmod, 2, 2),
            "int4" => (Int4, 1, 1),
            "int2" => (Int2, 1, 1),
            "uuid" => (Uuid, 1, 1),
            "pg_typeof" => (PgTypeOf, 1, 1),
            "typeof" => (TypeOf, 1, 1),
            "coalesce" => (Coalesce, 2, usize::MAX),
            "ifnull" => (IfNull, 2, 2),
            "nullif" => (NullIf, 2, 2),
            "instr" => (Instr, 2, 2),
            "hex" => (Hex, 1, 1),
            "random" => (Random, 0, 0),
            "max" | "greatest" => (Greatest, 2, usize::MAX),
            "min" | "least" => (Least, 2, usize::MAX),
            "char" => (Char, 0, usize::MAX),
            "unicode" => (Unicode, 1, 1),
            "iif" => (Iif, 3, 3),
            "sign" => (Sign, 1, 1),
            "concat" => (Concat, 1, usize::MAX),
            "quote" => (Quote, 1, 1),
            "zeroblob" => (ZeroBlob, 1, 1),
            "version" | "sqlite_version" => (Version, 0, 0),
            "concat_ws" => (ConcatWs, 2, usize::MAX),
            "likely" | "unlikely" => (Likely, 1, 1),
            "unhex" => (Unhex, 1, 1),
            "current_setting" => (CurrentSetting, 1, 2),
            "set_config" => (SetConfig, 3, 3),
            "current_user" | "user" | "current_role" => (CurrentUser, 0, 0),
            "session_user" => (SessionUser, 0, 0),
            "current_database" | "current_catalog" => (CurrentDatabase, 0, 0),
            "current_schema" => (CurrentSchema, 0, 0),
            "current_schemas" => (CurrentSchemas, 1, 1),
            "pg_backend_pid" => (BackendPid, 0, 0),
            "now" | "current_timestamp" | "transaction_timestamp" | "localtimestamp" => (Now, 0, 1),
            "clock_timestamp" | "statement_timestamp" => (ClockTimestamp, 0, 0),
            "current_date" => (CurrentDate, 0, 0),
            "quote_ident" => (QuoteIdent, 1, 1),
            "pg_encoding_to_char" => (EncodingToChar, 1, 1),
            "pg_is_in_recovery" => (InRecovery, 0, 0),
            "acldefault" => (AclDefault, 2, 2),
            "pg_get_triggerdef" => (GetTriggerDef, 1, 2),
            "pg_get_statisticsobjdef_columns" => (GetTriggerDef, 1, 1),
            "obj_description" | "shobj_description" | "col_description" => (Description, 1, 2),
            "pg_table_is_visible" => (TableIsVisible, 1, 1),
            "pg_type_is_visible" | "pg_function_is_visible" | "pg_collation_is_visible" => (IsVisible, 1, 1),
            "format_type" => (FormatType, 2, 2),
            "pg_get_userbyid" => (GetUserById, 1, 1),
            "to_regtype" => (ToRegType, 1, 1),
            "to_regclass" => (ToRegClass, 1, 1),
            "pg_get_serial_sequence" => (SerialSequence, 2, 2),
            "nextval" => (Nextval, 1, 1),
            "currval" => (Currval, 1, 1),
            "setval" => (Setval, 2, 3),
            "lastval" => (Lastval, 0, 0),
            "array_to_string" => (ArrayToString, 2, 3),
            "array_remove" => (ArrayRemove, 2, 2),
            "array_length" | "array_upper" => (ArrayLength, 2, 2),
            "array_lower" => (ArrayLower, 2, 2),
            "cardinality" => (Cardinality, 1, 1),
            "pg_size_pretty" => (SizePretty, 1, 1),
            "quote_literal" => (QuoteLiteral, 1, 1),
            "pg_relation_is_publishable" => (Publishable, 1, 1),
            "pg_table_size" => (RelationSize, 1, 1),
            "pg_relation_size" => (RelationSize, 1, 2),
            "pg_indexes_size" => (IndexesSize, 1, 1),
            "pg_total_relation_size" => (TotalRelationSize, 1, 1),
            "pg_database_size" => (DatabaseSize, 1, 1),
            "pg_tablespace_location" => (TablespaceLocation, 1, 1),
            "pg_get_viewdef" => (GetViewDef, 1, 2),
            "pg_get_indexdef" => (GetIndexDef, 1, 3),
            "pg_get_constraintdef" => (GetConstraintDef, 1, 2),
            "pg_get_function_result" | "pg_get_function_arguments" | "pg_get_function_identity_arguments" => {
                (FunctionInfo, 1, 1)
            }
            "pg_get_expr" => (GetExpr, 2, 3),
            "has_table_privilege" | "has_any_column_privilege" => (HasPrivilege(PrivilegeOn::Table), 2, 3),
            "has_column_privilege" => (HasPrivilege(PrivilegeOn::Column), 3, 4),
            "has_schema_privilege" => (HasPrivilege(PrivilegeOn::Schema), 2, 3),
            "has_sequence_privilege" => (HasPrivilege(PrivilegeOn::Sequence), 2, 3),
            "has_database_privilege" | "has_function_privilege" => (HasPrivilege(PrivilegeOn::Other), 2, 3),
            _ if let Some((f, min, max)) = super::datetime::TimeFunction::lookup(name) => (Time(f), min, max),
            _ => match super::json::JsonFunction::lookup(name) {
                Some((f, min, max)) => (Json(f), min, max),
                None => return Ok(None),
            },
        };
        if args < min || args > max {
            return Err(Error::invalid(format!("wrong number of arguments to function {name}()")));
        }
        Ok(Some(f))
    }

    pub fn name(self) -> &'static str {
        use ScalarFunction::*;
        match self {
            Abs => "abs",
            Length => "length",
            Lower => "lower",
            Upper => "upper",
            Substr => "substr",
            Trim => "trim",
            Ltrim => "ltrim",
            Rtrim => "rtrim",
            Replace => "replace",
            Round => "round",
            Ceil => "ceil",
            Floor => "floor",
            Trunc => "trunc",
            NumericTypmod => "numeric",
            Int4 | IntegerResult => "int4",
            Int2 => "int2",
            Uuid => "uuid",
            PgTypeOf => "pg_typeof",
            TypeOf => "typeof",
            Coalesce => "coalesce",
            IfNull => "ifnull",
            NullIf => "nullif",
            Instr => "instr",
            Hex => "hex",
            Random => "random",
            Greatest => "max",
            Least => "min",
            Char => "char",
            Unicode => "unicode",
            Iif => "iif",
            Sign => "sign",
            Concat => "concat",
            Quote => "quote",
            ZeroBlob => "zeroblob",
            Version => "version",
            ConcatWs => "concat_ws",
            Likely => "likely",
            Unhex => "unhex",
            CurrentSetting => "current_setting",
            SetConfig => "set_config",
            CurrentUser => "current_user",
            SessionUser => "session_user",
            CurrentDatabase => "current_database",
            CurrentSchema => "current_schema",
            CurrentSchemas => "current_schemas",
            BackendPid => "pg_backend_pid",
            Now => "now",
            ClockTimestamp => "clock_timestamp",
            CurrentDate => "current_date",
            QuoteIdent => "quote_ident",
            EncodingToChar => "pg_encoding_to_char",
            InRecovery => "pg_is_in_recovery",
            AclDefault => "acldefault",
            GetTriggerDef => "pg_get_triggerdef",
            Description => "obj_description",
            IsVisible => "pg_type_is_visible",
            TableIsVisible => "pg_table_is_visible",
            HasPrivilege(on) => on.function_name(),
            FormatType => "format_type",
            GetExpr => "pg_get_expr",
            RegexMatch => "regexp_like",
            GetUserById => "pg_get_userbyid",
            ToRegType => "to_regtype",
            ToRegClass => "to_regclass",
            RegClass => "regclass",
            RegType => "regtype",
            RegNamespace => "regnamespace",
            RegClassName => "regclass_name",
            RegTypeName => "regtype_name",
            RegNamespaceName => "regnamespace_name",
            Json(f) => f.name(),
            Time(f) => f.name(),
            SerialSequence => "pg_get_serial_sequence",
            Nextval => "nextval",
            Currval => "currval",
            Setval => "setval",
            Lastval => "lastval",
            SequenceColumn => "sequence_column",
            ArrayToString => "array_to_string",
            ArrayIn => "array_in",
            ArrayContains => "array_contains",
            ArrayRemove => "array_remove",
            ArrayLength => "array_length",
            ArrayLower => "array_lower",
            Cardinality => "cardinality",
            SizePretty => "pg_size_pretty",
            Subscript => "subscript",
            RegProc => "regproc",
            QuoteLiteral => "quote_literal",
            Publishable => "pg_relation_is_publishable",
            RelationSize => "pg_relation_size",
            IndexesSize => "pg_indexes_size",
            TotalRelationSize => "pg_total_relation_size",
            DatabaseSize => "pg_database_size",
            TablespaceLocation => "pg_tablespace_location",
            GetViewDef => "pg_get_viewdef",
            GetIndexDef => "pg_get_indexdef",
            GetConstraintDef => "pg_get_constraintdef",
            FunctionInfo => "pg_get_function_result",
        }
    }

    /// False for functions whose result may change between calls (never folded).
    pub fn is_deterministic(self) -> bool {
        // `age(ts)` reads today's date.
        !matches!(self, ScalarFunction::Random | ScalarFunction::Time(super::datetime::TimeFunction::Age))
            && !self.reads_session()
            && !self.reads_catalog()
            && !self.uses_sequences()
            && !matches!(
                self,
                ScalarFunction::HasPrivilege(_) | ScalarFunction::GetUserById | ScalarFunction::AclDefault
            )
    }

    /// The declared type (its OID) the function's result has beyond its storage type: a
    /// `date`, an `integer`, a `smallint`, a `uuid`. Such calls are not folded into
    /// literals, which would lose it.
    pub fn declared_result(self) -> Option<u32> {
        use crate::value::declared as d;
        match self {
            ScalarFunction::Int4 | ScalarFunction::IntegerResult => Some(d::INT4),
            ScalarFunction::Int2 => Some(d::INT2),
            ScalarFunction::Uuid => Some(d::UUID),
            ScalarFunction::CurrentDate => Some(d::DATE),
            ScalarFunction::Now | ScalarFunction::ClockTimestamp => Some(d::TIMESTAMPTZ),
            ScalarFunction::Time(f) => f.declared_result(),
            _ => None,
        }
    }

    /// Whether the function reads or writes the session (`functions::session`).
    pub fn reads_session(self) -> bool {
        use ScalarFunction::*;
        matches!(
            self,
            CurrentSetting
                | SetConfig
                | CurrentUser
                | SessionUser
                | CurrentDatabase
                | CurrentSchema
                | CurrentSchemas
                | BackendPid
                | Now
                | ClockTimestamp
                | CurrentDate
        )
    }

    /// Whether the function reads or moves a sequence ([`super::sequence`]).
    pub fn uses_sequences(self) -> bool {
        use ScalarFunction::*;
        matches!(self, SerialSequence | Nextval | Currval | Setval | Lastval | SequenceColumn)
    }

    /// Calls the function on evaluated arguments, in `session`.
    pub fn call(self, args: &[Value], session: &crate::session::Session, txn: &braid_engine::Txn) -> Result<Value> {
        match self {
            ScalarFunction::Time(f) => f.call(args, session.clock()),
            f if f.uses_sequences() => super::sequence::call(f, args, session, txn),
            ScalarFunction::HasPrivilege(on) => super::privilege::call(on, args, session, txn),
            ScalarFunction::GetUserById => super::privilege::user_by_id(args, txn),
            ScalarFunction::AclDefault => super::privilege::acl_default(args, txn),
            ScalarFunction::CurrentSchema | ScalarFunction::CurrentSchemas => {
                super::session::schemas(self, args, session, txn)
            }
            f if f.reads_catalog() => super::catalog::call(f, args, txn, session),
            f if f.reads_session() => super::session::call(f, args, session),
            f => f.call_pure(args),
        }
    }

    /// Whether the function reads the catalog through the transaction
    /// ([`super::catalog`]).
    pub fn reads_catalog(self) -> bool {
        use ScalarFunction::*;
        matches!(
            self,
            RegClass
                | ToRegClass
                | RegClassName
                | RegNamespace
                | RegNamespaceName
                | TableIsVisible
                | RelationSize
                | IndexesSize
                | TotalRelationSize
                | DatabaseSize
                | Publishable
                | Description
                | GetViewDef
                | GetIndexDef
                | GetConstraintDef
        )
    }

    /// Calls a function that does not read the session.
    fn call_pure(self, args: &[Value]) -> Result<Value> {
        use ScalarFunction::*;
        let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
        let null_in = args.iter().any(Value::is_null);
        Ok(match self {
            Coalesce | IfNull => args.iter().find(|v| !v.is_null()).cloned().unwrap_or(Value::Null),
            NullIf => {
                if !arg(0).is_null() && !arg(1).is_null() && sort_cmp(arg(0), arg(1)).is_eq() {
                    Value::Null
                } else {
                    arg(0).clone()
                }
            }
            Iif => {
                if crate::value::truthy(arg(0)) == Some(true) {
                    arg(1).clone()
                } else {
                    arg(2).clone()
                }
            }
            TypeOf => Value::Text(
                match arg(0) {
                    Value::Null => "null",
                    Value::Integer(_) | Value::Boolean(_) => "integer",
                    Value::Real(_) => "real",
                    Value::Text(_) => "text",
                    Value::Blob(_) => "blob",
                    Value::Timestamp(_) => "timestamp",
                    Value::Numeric(_) => "numeric",
                    Value::Interval(_) => "interval",
                    Value::Time(_) => "time",
                }
                .into(),
            ),
            Quote => Value::Text(match arg(0) {
                Value::Null => "NULL".into(),
                Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
                Value::Real(r) => format_real(*r),
                Value::Blob(b) => format!("X'{}'", b.iter().map(|x| format!("{x:02X}")).collect::<String>()),
                v => v.to_string(),
            }),
            Random => Value::Integer(random()),
            Version => Value::Text(crate::session::version_string()),
            QuoteIdent if null_in => Value::Null,
            QuoteIdent => Value::Text(super::session::quote_ident(&to_text(arg(0)))),
            EncodingToChar => Value::Text(if to_i64_lossy(arg(0)) == 6 { "UTF8" } else { "" }.into()),
            InRecovery => Value::Boolean(false),
            GetTriggerDef => Value::Null,
            FormatType if arg(0).is_null() => Value::Null,
            FormatType => Value::Text(
                crate::source::system::format_type(
                    to_i64_lossy(arg(0)),
                    if arg(1).is_null() { -1 } else { to_i64_lossy(arg(1)) },
                )
                .unwrap_or_else(|| "???".to_string()),
            ),
            GetExpr => arg(0).clone(),
            RegexMatch if null_in => Value::Null,
            RegexMatch => {
                let insensitive = crate::value::truthy(arg(2)) == Some(true);
                Value::Boolean(super::regex::is_match(&to_text(arg(0)), &to_text(arg(1)), insensitive)?)
            }
            FunctionInfo => Value::Null,
            Json(f) => return f.call(args),
            // Folded constants: `age` (which reads today) is never folded.
            Time(f) => return f.call(args, crate::session::Clock { started: 0, zone: Default::default() }),
            ToRegType if null_in => Value::Null,
            ToRegType => crate::source::system::type_oid_by_name(&to_text(arg(0))).map_or(Value::Null, Value::Integer),
            TablespaceLocation if null_in => Value::Null,
            TablespaceLocation => Value::Text(String::new()),
            IsVisible if null_in => Value::Null,
            IsVisible => Value::Boolean(true),
            RegTypeName => match arg(0) {
                Value::Integer(oid) => {
                    Value::Text(crate::source::system::format_type(*oid, -1).unwrap_or_else(|| oid.to_string()))
                }
                other => other.clone(),
            },
            RegType if null_in => Value::Null,
            RegType if matches!(arg(0), Value::Integer(_)) => arg(0).clone(),
            RegType => {
                let name = to_text(arg(0));
                match name.trim().parse::<i64>().ok().or_else(|| crate::source::system::type_oid_by_name(&name)) {
                    Some(oid) => Value::Integer(oid),
                    None => return Err(Error::not_found("type", name)),
                }
            }
            ArrayContains if null_in => Value::Null,
            ArrayContains => {
                let x = to_text(arg(1));
                let items = crate::value::array::parse(&to_text(arg(0)))?;
                if items.iter().any(|i| i.as_deref() == Some(x.as_str())) {
                    Value::Boolean(true)
                } else if items.iter().any(Option::is_none) {
                    Value::Null
                } else {
                    Value::Boolean(false)
                }
            }
            ArrayRemove if arg(0).is_null() => Value::Null,
            ArrayRemove => {
                let x = (!arg(1).is_null()).then(|| to_text(arg(1)));
                let items = crate::value::array::parse(&to_text(arg(0)))?;
                Value::Text(crate::value::array::format(
                    items.iter().map(Option::as_deref).filter(|i| *i != x.as_deref()),
                ))
            }
            QuoteLiteral if null_in => Value::Null,
            QuoteLiteral => {
                let text = to_text(arg(0)).replace('\'', "''");
                Value::Text(if text.contains('\\') {
                    format!("E'{}'", text.replace('\\', "\\\\"))
                } else {
                    format!("'{text}'")
                })
            }
            RegProc => match arg(0) {
                Value::Integer(0) => Value::Text("-".into()),
                Value::Null => Value::Null,
                other => Value::Text(to_text(other)),
            },
            Subscript if null_in => Value::Null,
            Subscript => {
                let (text, i) = (to_text(arg(0)), to_i64_lossy(arg(1)));
                let at = |items: Vec<Option<String>>, from: i64| {
                    usize::try_from(i - from).ok().and_then(|k| items.into_iter().nth(k)).flatten()
                };
                let element = if text.trim_start().starts_with('{') {
                    at(crate::value::array::parse(&text)?, 1)
                } else if !text.trim().is_empty() && text.split_whitespace().all(|w| w.parse::<i64>().is_ok()) {
                    at(text.split_whitespace().map(|w| Some(w.to_string())).collect(), 0)
                } else {
                    at(text.chars().map(|c| Some(c.to_string())).collect(), 0)
                };
                element.map_or(Value::Null, Value::Text)
            }
            SizePretty if null_in => Value::Null,
            SizePretty => Value::Text(size_pretty(to_i64_lossy(arg(0)))),
            ArrayLength | ArrayLower | Cardinality if null_in => Value::Null,
            Cardinality => Value::Integer(crate::value::array::parse(&to_text(arg(0)))?.len() as i64),
            ArrayLength | ArrayLower => {
                let len = crate::value::array::parse(&to_text(arg(0)))?.len() as i64;
                match (to_i64_lossy(arg(1)), len) {
                    (1, 1..) if self == ArrayLower => Value::Integer(1),
                    (1, 1..) => Value::Integer(len),
                    _ => Value::Null,
                }
            }
            ArrayIn if null_in => Value::Null,
            ArrayIn => {
                let items = crate::value::array::parse(&to_text(arg(0)))?;
                Value::Text(crate::value::array::format(items.iter().map(Option::as_deref)))
            }
            ArrayToString if arg(0).is_null() || arg(1).is_null() => Value::Null,
            ArrayToString => {
                // NULL elements are skipped, or spelled as the third argument.
                let null_text = (!arg(2).is_null()).then(|| to_text(arg(2)));
                let items = crate::value::array::parse(&to_text(arg(0)))?;
                let items: Vec<String> = items.into_iter().filter_map(|i| i.or_else(|| null_text.clone())).collect();
                Value::Text(items.join(&to_text(arg(1))))
            }
            // What `call` sends to the session, the catalog or the sequences.
            CurrentSetting | SetConfig | CurrentUser | SessionUser | HasPrivilege(_) | AclDefault | CurrentDatabase
            | CurrentSchema | CurrentSchemas | BackendPid | Now | ClockTimestamp | CurrentDate | GetUserById
            | GetIndexDef | GetConstraintDef | RegClass | ToRegClass | RegClassName | RegNamespace
            | RegNamespaceName | TableIsVisible | RelationSize | IndexesSize | TotalRelationSize | DatabaseSize
            | GetViewDef | Publishable | Description | SerialSequence | Nextval | Currval | Setval | Lastval
            | SequenceColumn => {
                return Err(Error::invalid(format!(
                    "internal error: {}() needs its session or transaction",
                    self.name()
                )));
            }
            Concat => Value::Text(args.iter().filter(|v| !v.is_null()).map(to_text).collect()),
            ConcatWs if arg(0).is_null() => Value::Null,
            ConcatWs => {
                let parts: Vec<String> = args[1..].iter().filter(|v| !v.is_null()).map(to_text).collect();
                Value::Text(parts.join(&to_text(arg(0))))
            }
            Likely => arg(0).clone(),
            Char => Value::Text(
                args.iter()
                    .map(|v| u32::try_from(to_i64_lossy(v)).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}'))
                    .collect(),
            ),
            Greatest | Least => {
                if null_in {
                    return Ok(Value::Null);
                }
                let pick = args.iter().reduce(|a, b| {
                    let o = sort_cmp(b, a);
                    if (self == Greatest && o.is_gt()) || (self == Least && o.is_lt()) { b } else { a }
                });
                pick.cloned().unwrap_or(Value::Null)
            }
            _ if null_in && !matches!(self, Trim | Ltrim | Rtrim) => Value::Null,
            _ if arg(0).is_null() => Value::Null,
            Abs => match to_number(arg(0)) {
                Value::Integer(i) => match i.checked_abs() {
                    Some(a) => Value::Integer(a),
                    None => return Err(Error::data(DataError::NumericOutOfRange, "bigint out of range")),
                },
                Value::Real(r) => Value::Real(r.abs()),
                Value::Numeric(d) => Value::Numeric(d.abs()),
                other => other,
            },
            Sign => match to_number(arg(0)) {
                Value::Integer(i) => Value::Integer(i.signum()),
                Value::Numeric(d) => Value::Numeric(braid_engine::Decimal::from(if d.is_zero() {
                    0
                } else if d.is_sign_negative() {
                    -1
                } else {
                    1
                })),
                Value::Real(r) => Value::Integer(if r > 0.0 {
                    1
                } else if r < 0.0 {
                    -1
                } else {
                    0
                }),
                _ => Value::Null,
            },
            Length => match arg(0) {
                Value::Blob(b) => Value::Integer(b.len() as i64),
                v => Value::Integer(to_text(v).chars().count() as i64),
            },
            // ASCII letters only, as SQLite without ICU.
            Lower => Value::Text(to_text(arg(0)).to_ascii_lowercase()),
            Upper => Value::Text(to_text(arg(0)).to_ascii_uppercase()),
            Hex => Value::Text(match arg(0) {
                Value::Blob(b) => b.iter().map(|x| format!("{x:02X}")).collect(),
                v => to_text(v).bytes().map(|x| format!("{x:02X}")).collect(),
            }),
            Unicode => to_text(arg(0)).chars().next().map_or(Value::Null, |c| Value::Integer(c as i64)),
            ZeroBlob => Value::Blob(vec![0; to_i64_lossy(arg(0)).clamp(0, 1 << 24) as usize]),
            Unhex => {
                let text = to_text(arg(0));
                let digits: Option<Vec<u8>> = text.chars().map(|c| c.to_digit(16).map(|d| d as u8)).collect();
                match digits {
                    Some(d) if d.len().is_multiple_of(2) => {
                        Value::Blob(d.chunks(2).map(|p| p[0] << 4 | p[1]).collect())
                    }
                    _ => Value::Null,
                }
            }
            Substr => substr(arg(0), to_i64_lossy(arg(1)), args.get(2).map(to_i64_lossy)),
            Trim | Ltrim | Rtrim => {
                if arg(0).is_null() || (args.len() > 1 && arg(1).is_null()) {
                    return Ok(Value::Null);
                }
                let s = to_text(arg(0));
                let set: Vec<char> = if args.len() > 1 { to_text(arg(1)).chars().collect() } else { vec![' '] };
                let t = match self {
                    Trim => s.trim_matches(set.as_slice()),
                    Ltrim => s.trim_start_matches(set.as_slice()),
                    _ => s.trim_end_matches(set.as_slice()),
                };
                Value::Text(t.to_string())
            }
            Replace => {
                let (s, from, to) = (to_text(arg(0)), to_text(arg(1)), to_text(arg(2)));
                Value::Text(if from.is_empty() { s } else { s.replace(&from, &to) })
            }
            Instr => {
                let (s, needle) = (to_text(arg(0)), to_text(arg(1)));
                Value::Integer(s.find(&needle).map_or(0, |at| s[..at].chars().count() as i64 + 1))
            }
            // NUMERIC in, NUMERIC out (PostgreSQL's numeric variants); anything else is a float.
            Round | Trunc if let Value::Numeric(d) = arg(0) => {
                let digits = args.get(1).map_or(0, to_i64_lossy);
                Value::Numeric(numeric::round_to(d, digits, self == Trunc)?)
            }
            Round => {
                let digits = args.get(1).map_or(0, to_i64_lossy).clamp(0, 30) as usize;
                Value::Real(round(to_f64_lossy(arg(0)), digits))
            }
            Trunc => {
                let digits = args.get(1).map_or(0, to_i64_lossy).clamp(-308, 308) as i32;
                let scale = 10f64.powi(digits);
                Value::Real((to_f64_lossy(arg(0)) * scale).trunc() / scale)
            }
            Int4 | Int2 | IntegerResult => {
                let oid = if self == Int2 { crate::value::declared::INT2 } else { crate::value::declared::INT4 };
                let declared = braid_engine::DeclaredType { oid, typmod: -1 };
                // Past bigint is past integer too: the narrower type's message.
                let wide = match crate::value::cast(arg(0), braid_engine::DataType::Integer) {
                    Err(Error::Data { kind: DataError::NumericOutOfRange, .. }) => Value::Integer(i64::MAX),
                    other => other?,
                };
                crate::value::declared::conform(wide, Some(declared))?
            }
            PgTypeOf => {
                use crate::value::declared as d;
                let oid = match (to_i64_lossy(arg(1)), arg(0)) {
                    (0, Value::Null) => 705, // unknown
                    (0, Value::Integer(i)) if i32::try_from(*i).is_ok() => d::INT4 as i64,
                    (0, v) => d::of_storage(v.data_type().unwrap_or(braid_engine::DataType::Text)).oid as i64,
                    (known, _) => known,
                };
                Value::Text(crate::source::system::format_type(oid, -1).unwrap_or_else(|| "unknown".into()))
            }
            Uuid if null_in => Value::Null,
            Uuid => {
                let declared = braid_engine::DeclaredType { oid: crate::value::declared::UUID, typmod: -1 };
                crate::value::declared::conform(Value::Text(to_text(arg(0))), Some(declared))?
            }
            NumericTypmod => match crate::value::cast(arg(0), braid_engine::DataType::Numeric)? {
                Value::Numeric(d) => Value::Numeric(numeric::conform(d, to_i64_lossy(arg(1)) as i32)?),
                other => other,
            },
            Ceil | Floor => match to_number(arg(0)) {
                Value::Numeric(d) => {
                    Value::Numeric(numeric::canonical(if self == Ceil { d.ceil() } else { d.floor() }))
                }
                n => {
                    let r = to_f64_lossy(&n);
                    Value::Real(if self == Ceil { r.ceil() } else { r.floor() })
                }
            },
        })
    }
}

/// `substr(s, start, len)`: 1-based, negative starts count from the end, a negative
/// length takes the characters before the start (SQLite's `substrFunc`, step by step).
fn substr(v: &Value, start: i64, len: Option<i64>) -> Value {
    let chars: Vec<char> = to_text(v).chars().collect();
    let n = chars.len() as i64;
    let (mut p1, mut p2) = (start, len.unwrap_or(i64::MAX / 4));
    let negative = p2 < 0;
    if negative {
        p2 = p2.saturating_neg();
    }
    if p1 < 0 {
        p1 += n;
        if p1 < 0 {
            p2 = (p2 + p1).max(0);
            p1 = 0;
        }
    } else if p1 > 0 {
        p1 -= 1;
    } else if p2 > 0 {
        p2 -= 1;
    }
    if negative {
        p1 -= p2;
        if p1 < 0 {
            p2 += p1;
            p1 = 0;
        }
    }
    let from = p1.clamp(0, n);
    let to = p1.saturating_add(p2).clamp(from, n);
    Value::Text(chars[from as usize..to as usize].iter().collect())
}

/// Rounds to `digits` decimals, half away from zero, on the decimal value the real stands
/// for (2.675 is 2.67499…, so 2.67; 2.5 is 3), as SQLite does.
fn round(x: f64, digits: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    // Enough digits past the rounding one that the decimal expansion decides correctly.
    let text = format!("{:.*}", digits + 30, x.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut kept: Vec<u8> = whole.bytes().chain(fraction.bytes().take(digits)).map(|b| b - b'0').collect();
    if fraction.as_bytes().get(digits).is_some_and(|&d| d >= b'5') {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, 1);
                break;
            }
            i -= 1;
            if kept[i] == 9 {
                kept[i] = 0;
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let split = kept.len() - digits;
    let digits_text: String = kept.iter().map(|d| char::from(b'0' + d)).collect();
    let rounded: f64 = format!("{}.{}", &digits_text[..split], &digits_text[split..]).parse().unwrap_or(x.abs());
    if x < 0.0 { -rounded } else { rounded }
}

/// A pseudo-random i64 (SplitMix64 over a process-wide counter and the clock).
fn random() -> i64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut z = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as i64
}

/// PostgreSQL's `pg_size_pretty`: bytes below 10 kB, then the largest unit that keeps the
/// number below 20 000, rounded half away from zero on the last bit shifted out.
fn size_pretty(bytes: i64) -> String {
    const LIMIT: i64 = 10 * 1024;
    const LIMIT2: i64 = LIMIT * 2 - 1;
    let half_rounded = |x: i64| (x + if x < 0 { -1 } else { 1 }) / 2;
    if bytes.abs() < LIMIT {
        return format!("{bytes} bytes");
    }
    // One extra bit kept for rounding.
    let mut size = bytes >> 9;
    for unit in ["kB", "MB", "GB", "TB"] {
        if size.abs() < LIMIT2 {
            return format!("{} {unit}", half_rounded(size));
        }
        size >>= 10;
    }
    format!("{} PB", half_rounded(size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn sizes_print_as_postgresql_prints_them() {
        assert_eq!(size_pretty(10_239), "10239 bytes");
        assert_eq!(size_pretty(10_240), "10 kB");
        assert_eq!(size_pretty(1_000_000), "977 kB");
        assert_eq!(size_pretty(1_000_000_000), "954 MB");
        assert_eq!(size_pretty(-1_000_000), "-977 kB");
        assert_eq!(size_pretty(i64::MAX), "8192 PB");
    }

    #[test]
    fn substr_counts_like_sqlite() {
        assert_eq!(substr(&text("hello"), 2, Some(3)), text("ell"));
        assert_eq!(substr(&text("hello"), -3, None), text("llo"));
        assert_eq!(substr(&text("hello"), 0, Some(2)), text("h"));
        assert_eq!(substr(&text("hello"), 0, Some(1)), text(""));
        assert_eq!(substr(&text("hello"), -7, Some(3)), text("h"));
        assert_eq!(substr(&text("hello"), 2, Some(-5)), text("h"));
        assert_eq!(substr(&text("hello"), 3, Some(-2)), text("he"));
    }

    #[test]
    fn round_is_decimal_and_half_away_from_zero() {
        assert_eq!(round(2.675, 2), 2.67);
        assert_eq!(round(2.5, 0), 3.0);
        assert_eq!(round(-2.5, 0), -3.0);
        assert_eq!(round(9.995, 2), 9.99);
        assert_eq!(round(99.5, 0), 100.0);
        assert_eq!(round(1.5, 30), 1.5);
    }

    #[test]
    fn null_arguments_give_null_except_coalesce() {
        assert_eq!(ScalarFunction::Abs.call_pure(&[Value::Null]).unwrap(), Value::Null);
        assert_eq!(ScalarFunction::Coalesce.call_pure(&[Value::Null, Value::Integer(2)]).unwrap(), Value::Integer(2));
        assert_eq!(ScalarFunction::Abs.call_pure(&[Value::Integer(-3)]).unwrap(), Value::Integer(3));
    }
}
