//! pgwire's handler traits over a [`Session`]: messages in, session calls, messages out.
//!
//! pgwire asks the server's handler factory for its handlers once per connection, so each
//! connection gets its own [`Handlers`] holding its own session. Statements run on the
//! connection's task inside `block_in_place`: a point select finishes in microseconds, so
//! handing it to another thread would cost more than it saves, while a long query still
//! lets the runtime move this worker's other connections elsewhere.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::BytesMut;
use futures::stream;
use parking_lot::Mutex;
use pgwire::api::auth::StartupHandler;
use pgwire::api::auth::noop::NoopStartupHandler;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{
    DescribePortalResponse, DescribeStatementResponse, FieldInfo, QueryResponse, Response, Tag,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::{ClientInfo, PgWireServerHandlers, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::data::DataRow;

use braid::{DataType, Value};

use super::error::{Failure, info, user};
use super::session::{Reply, Session, Step, TxChange};
use super::types;

/// One connection's handlers, sharing its session.
pub struct Handlers {
    session: Arc<Mutex<Session>>,
    parser: Arc<Parser>,
}

impl Handlers {
    pub fn new(session: Session) -> Self {
        let session = Arc::new(Mutex::new(session));
        Handlers { parser: Arc::new(Parser { session: session.clone() }), session }
    }

    /// Runs `f` on the session, letting the runtime schedule other tasks meanwhile.
    fn with_session<T>(&self, f: impl FnOnce(&mut Session) -> T) -> T {
        tokio::task::block_in_place(|| f(&mut self.session.lock()))
    }
}

/// Trust authentication: the default on loopback.
pub struct Trust;

impl NoopStartupHandler for Trust {}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::new(Handlers { session: self.session.clone(), parser: self.parser.clone() })
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::new(Handlers { session: self.session.clone(), parser: self.parser.clone() })
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        Arc::new(Trust)
    }
}

/// The RowDescription fields of result columns, each in the format the client asked for.
fn fields(columns: &[(String, Option<DataType>)], format: &Format) -> Vec<FieldInfo> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| FieldInfo::new(name.clone(), None, None, types::pg_type(*ty), format.format_for(i)))
        .collect()
}

/// A step as a pgwire response, rows encoded as `format` asks.
fn response(step: Step, format: &Format) -> PgWireResult<Response> {
    let (columns, rows, command) = match step.reply {
        Reply::Empty => return Ok(Response::EmptyQuery),
        Reply::Command(tag) => {
            let tag = Tag::new(&tag);
            return Ok(match step.tx {
                TxChange::Started => Response::TransactionStart(tag),
                TxChange::Ended => Response::TransactionEnd(tag),
                TxChange::None => Response::Execution(tag),
            });
        }
        Reply::Rows { command, columns, rows } => (columns, rows, command),
    };
    let fields = Arc::new(fields(&columns, format));
    let encoded = encode_rows(&fields, &rows)?;
    let mut response = QueryResponse::new(fields, stream::iter(encoded.into_iter().map(Ok)));
    response.set_command_tag(&command);
    Ok(Response::Query(response))
}

/// Encodes every row up front: results are already materialised by the query layer, and
/// an encoding error must surface before the first DataRow is sent.
fn encode_rows(fields: &[FieldInfo], rows: &[Vec<Value>]) -> PgWireResult<Vec<DataRow>> {
    let mut out = Vec::with_capacity(rows.len());
    let mut buf = BytesMut::with_capacity(64 * rows.len().min(1024));
    for row in rows {
        for (value, field) in row.iter().zip(fields) {
            types::encode(&mut buf, value, field.datatype(), field.format()).map_err(|e| user(info("22000", e.0)))?;
        }
        out.push(DataRow::new(buf.split(), fields.len() as i16));
    }
    Ok(out)
}

#[async_trait]
impl SimpleQueryHandler for Handlers {
    async fn do_query<C>(&self, _client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let steps = self.with_session(|s| s.simple(query));
        let mut responses = Vec::with_capacity(steps.len());
        for step in steps {
            responses.push(match step {
                Ok(step) => response(step, &Format::UnifiedText).unwrap_or_else(error_response),
                Err(e) => Response::Error(e),
            });
        }
        Ok(responses)
    }
}

fn error_response(e: PgWireError) -> Response {
    match e {
        PgWireError::UserError(info) => Response::Error(info),
        e => Response::Error(info("XX000", e.to_string())),
    }
}

/// The extended protocol's statements: the SQL text, parsed and planned by the session.
pub struct Parser {
    session: Arc<Mutex<Session>>,
}

#[async_trait]
impl QueryParser for Parser {
    type Statement = Arc<str>;

    async fn parse_sql<C>(&self, _client: &C, sql: &str, _types: &[Option<Type>]) -> PgWireResult<Option<Arc<str>>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        tokio::task::block_in_place(|| self.session.lock().parse(sql)).map(Some).map_err(user)
    }

    fn get_parameter_types(&self, sql: &Arc<str>) -> PgWireResult<Vec<Type>> {
        let description = self.session.lock().describe(sql).map_err(user)?;
        Ok(description.params.into_iter().map(types::pg_type).collect())
    }

    fn get_result_schema(&self, sql: &Arc<str>, format: Option<&Format>) -> PgWireResult<Vec<FieldInfo>> {
        let description = self.session.lock().describe(sql).map_err(user)?;
        Ok(fields(&description.columns, format.unwrap_or(&Format::UnifiedBinary)))
    }
}

#[async_trait]
impl ExtendedQueryHandler for Handlers {
    type Statement = Arc<str>;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        self.parser.clone()
    }

    async fn do_describe_statement<C>(
        &self,
        _client: &mut C,
        target: &StoredStatement<Arc<str>>,
    ) -> PgWireResult<DescribeStatementResponse>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let description = self.with_session(|s| s.describe(&target.statement)).map_err(user)?;
        // The client's declared parameter types win over inferred ones.
        let params = (0..description.params.len().max(target.parameter_types.len()))
            .map(|i| match target.parameter_types.get(i).cloned().flatten() {
                Some(t) if t != Type::UNKNOWN => t,
                _ => types::pg_type(description.params.get(i).copied().flatten()),
            })
            .collect();
        Ok(DescribeStatementResponse::new(params, fields(&description.columns, &Format::UnifiedBinary)))
    }

    async fn do_describe_portal<C>(
        &self,
        _client: &mut C,
        portal: &Portal<Arc<str>>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let description = self.with_session(|s| s.describe(&portal.statement.statement)).map_err(user)?;
        Ok(DescribePortalResponse::new(fields(&description.columns, &portal.result_column_format)))
    }

    async fn do_query<C>(&self, _client: &mut C, portal: &Portal<Arc<str>>, _max_rows: usize) -> PgWireResult<Response>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let sql = &portal.statement.statement;
        let step = self.with_session(|s| -> Result<Step, Failure> {
            let inferred = if portal.parameters.is_empty() { vec![] } else { s.describe(sql)?.params };
            let params = decode_params(portal, &inferred)?;
            s.execute(sql, params)
        });
        match step {
            Ok(step) => response(step, &portal.result_column_format),
            Err(e) => Err(user(e)),
        }
    }
}

/// A portal's parameters as values: each read as the type the client declared, else the
/// type Braid inferred, else text.
fn decode_params(portal: &Portal<Arc<str>>, inferred: &[Option<DataType>]) -> Result<Vec<Value>, Failure> {
    (0..portal.parameters.len())
        .map(|i| {
            let ty = match portal.statement.parameter_types.get(i).cloned().flatten() {
                Some(t) if t != Type::UNKNOWN => t,
                _ => types::pg_type(inferred.get(i).copied().flatten()),
            };
            let bytes = portal.parameters[i].as_deref();
            types::decode(bytes, &ty, portal.parameter_format.is_binary(i))
                .map_err(|e| info("22P02", format!("parameter ${}: {}", i + 1, e.0)))
        })
        .collect()
}
