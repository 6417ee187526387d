//! pgwire's handler traits over a [`Session`]: messages in, session calls, messages out.
//!
//! pgwire asks the server's handler factory for its handlers once per connection, so each
//! connection gets its own [`Handlers`] holding its own session.
//!
//! Two choices here are for speed, both measured with pgbench (`docs/benchmarks.md`):
//! - Statements run on the connection's own task. A point select takes microseconds;
//!   `block_in_place` around it cost a futex hand-off per statement (a third of the
//!   server's time under pgbench), and the runtime's work stealing still moves a busy
//!   worker's other connections to an idle one.
//! - Bind, Describe and Execute queue their replies (`feed`) instead of flushing each one
//!   (`send`, pgwire's default): the client reads nothing before Sync, which flushes once,
//!   so a prepared statement's round trip (libpq: Bind, Describe, Execute, Sync) is one
//!   write, not three.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::BytesMut;
use futures::{Sink, SinkExt, StreamExt, stream};
use parking_lot::Mutex;
use pgwire::api::auth::StartupHandler;
use pgwire::api::copy::CopyHandler;
use pgwire::api::portal::PortalExecutionState;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{
    CopyResponse, DescribePortalResponse, DescribeResponse, DescribeStatementResponse, FieldInfo, QueryResponse,
    Response, Tag,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, PgWireConnectionState, PgWireServerHandlers, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail};
use pgwire::messages::data::DataRow;
use pgwire::messages::data::{FieldDescription, NoData, ParameterDescription, RowDescription};
use pgwire::messages::extendedquery::{
    Bind, BindComplete, Describe, Execute, PortalSuspended, TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{CommandComplete, EmptyQueryResponse};

use braid::{Description, Value};

use super::error::{Failure, info, user};
use super::session::{Reply, Session, Step, TxChange};
use super::types;

/// One connection's handlers, sharing its session.
pub struct Handlers {
    session: Arc<Mutex<Session>>,
    parser: Arc<Parser>,
    /// The process id and secret key this connection reports at startup, under which a
    /// cancel request finds its session.
    keys: (i32, i32),
}

impl Handlers {
    pub fn new(session: Session, keys: (i32, i32)) -> Self {
        let session = Arc::new(Mutex::new(session));
        let parser = Arc::new(Parser { session: session.clone() });
        Handlers { parser, session, keys }
    }

    fn share(&self) -> Handlers {
        Handlers { session: self.session.clone(), parser: self.parser.clone(), keys: self.keys }
    }

    /// Runs `f` on the session.
    fn with_session<T>(&self, f: impl FnOnce(&mut Session) -> T) -> T {
        f(&mut self.session.lock())
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::new(self.share())
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::new(self.share())
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        let db = self.session.lock().database();
        Arc::new(super::auth::Startup::new(db, self.session.clone(), super::auth::Keys(self.keys.0, self.keys.1)))
    }

    fn copy_handler(&self) -> Arc<impl CopyHandler> {
        Arc::new(self.share())
    }
}

/// The RowDescription fields of result columns, each in the format the client asked for.
fn fields(description: &Description, format: &Format) -> Vec<FieldInfo> {
    description
        .columns
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| {
            let ty = types::column_pg_type(*ty, description.declared(i));
            FieldInfo::new(name.clone(), None, None, ty, format.format_for(i))
        })
        .collect()
}

/// A step as a pgwire response, rows encoded as `format` asks.
fn response(step: Step, format: &Format) -> PgWireResult<Response> {
    let (columns, rows, command, zone) = match step.reply {
        Reply::Empty => return Ok(Response::EmptyQuery),
        Reply::Command(tag) => {
            let tag = Tag::new(&tag);
            return Ok(match step.tx {
                TxChange::Started => Response::TransactionStart(tag),
                TxChange::Ended => Response::TransactionEnd(tag),
                TxChange::None => Response::Execution(tag),
            });
        }
        Reply::Rows { command, columns, rows, zone } => (columns, rows, command, zone),
        // The overall format: 0 text (and CSV), 1 binary, as each column's.
        Reply::CopyIn { columns, binary } => {
            return Ok(Response::CopyIn(CopyResponse::new(binary as i8, columns, stream::empty())));
        }
        Reply::CopyOut { columns, binary, chunks } => {
            let data = chunks.into_iter().map(|c| Ok(CopyData::new(bytes::Bytes::from(c))));
            return Ok(Response::CopyOut(CopyResponse::new(binary as i8, columns, stream::iter(data))));
        }
    };
    let fields = Arc::new(fields(&columns, format));
    let encoded = encode_rows(&fields, &rows, zone)?;
    let mut response = QueryResponse::new(fields, stream::iter(encoded.into_iter().map(Ok)));
    response.set_command_tag(&command);
    Ok(Response::Query(response))
}

/// Encodes every row up front: results are already materialised by the query layer, and
/// an encoding error must surface before the first DataRow is sent.
fn encode_rows(
    fields: &[FieldInfo],
    rows: &[Vec<Value>],
    zone: braid::value::zone::Zone,
) -> PgWireResult<Vec<DataRow>> {
    let mut out = Vec::with_capacity(rows.len());
    let mut buf = BytesMut::with_capacity(64 * rows.len().min(1024));
    for row in rows {
        for (value, field) in row.iter().zip(fields) {
            types::encode_in(&mut buf, value, field.datatype(), field.format(), zone)
                .map_err(|e| user(info("22000", e.0)))?;
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
        self.session.lock().parse(sql).map(Some).map_err(user)
    }

    fn get_parameter_types(&self, sql: &Arc<str>) -> PgWireResult<Vec<Type>> {
        let description = self.session.lock().describe(sql).map_err(user)?;
        Ok((0..description.params.len()).map(|i| types::param_pg_type(&description, i)).collect())
    }

    fn get_result_schema(&self, sql: &Arc<str>, format: Option<&Format>) -> PgWireResult<Vec<FieldInfo>> {
        let description = self.session.lock().describe(sql).map_err(user)?;
        Ok(fields(&description, format.unwrap_or(&Format::UnifiedBinary)))
    }
}

#[async_trait]
impl ExtendedQueryHandler for Handlers {
    type Statement = Arc<str>;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        self.parser.clone()
    }

    /// pgwire's `on_bind`, queueing BindComplete rather than flushing it.
    async fn on_bind<C>(&self, client: &mut C, message: Bind) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statement_name = message.statement_name.as_deref().unwrap_or(DEFAULT_NAME);
        match client.portal_store().get_statement(statement_name) {
            Some(Entry::Value(statement)) => {
                let portal = Portal::try_new(&message, statement)?;
                client.portal_store().put_portal(Arc::new(portal));
            }
            Some(Entry::Empty) => {
                if !message.parameters.is_empty() {
                    return Err(user(info("08P01", "bind message supplies parameters to an empty statement")));
                }
                client.portal_store().put_empty_portal(message.portal_name.as_deref().unwrap_or(DEFAULT_NAME));
            }
            None => return Err(PgWireError::StatementNotFound(statement_name.to_owned())),
        }
        client.feed(PgWireBackendMessage::BindComplete(BindComplete::new())).await?;
        Ok(())
    }

    /// pgwire's `on_describe`, queueing the descriptions rather than flushing them.
    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let fields = match message.target_type {
            TARGET_TYPE_BYTE_STATEMENT => match client.portal_store().get_statement(name) {
                Some(Entry::Value(statement)) => {
                    let described = self.do_describe_statement(client, &statement).await?;
                    let types = described.parameters().unwrap_or_default().iter().map(|t| t.oid()).collect();
                    client.feed(PgWireBackendMessage::ParameterDescription(ParameterDescription::new(types))).await?;
                    described.fields().to_vec()
                }
                Some(Entry::Empty) => {
                    client.feed(PgWireBackendMessage::ParameterDescription(ParameterDescription::new(vec![]))).await?;
                    vec![]
                }
                None => return Err(PgWireError::StatementNotFound(name.to_owned())),
            },
            TARGET_TYPE_BYTE_PORTAL => match client.portal_store().get_portal(name) {
                Some(Entry::Value(portal)) => self.do_describe_portal(client, &portal).await?.fields().to_vec(),
                Some(Entry::Empty) => vec![],
                None => return Err(PgWireError::PortalNotFound(name.to_owned())),
            },
            other => return Err(PgWireError::InvalidTargetType(other)),
        };
        let reply = if fields.is_empty() {
            PgWireBackendMessage::NoData(NoData::new())
        } else {
            let fields = fields.iter().map(FieldDescription::from).collect();
            PgWireBackendMessage::RowDescription(RowDescription::new(fields))
        };
        client.feed(reply).await?;
        Ok(())
    }

    /// pgwire's `on_execute`, queueing the portal's rows and CommandComplete for Sync to
    /// flush. Errors go back to pgwire, which answers them and skips to Sync.
    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let portal = match client.portal_store().get_portal(name) {
            Some(Entry::Value(portal)) => portal,
            Some(Entry::Empty) => {
                client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?;
                return Ok(());
            }
            None => return Err(PgWireError::PortalNotFound(name.to_owned())),
        };
        let max_rows = message.max_rows.max(0) as usize;
        let mut status = client.transaction_status();
        client.set_state(PgWireConnectionState::QueryInProgress);
        let started = matches!(*portal.state().lock().await, PortalExecutionState::Initial);
        let fetch = if started {
            let command = |tag: Tag| PgWireBackendMessage::CommandComplete(CommandComplete::from(tag));
            match ExtendedQueryHandler::do_query(self, client, &portal, max_rows).await? {
                Response::Query(results) => {
                    portal.start(results).await;
                    true
                }
                Response::Execution(tag) => {
                    client.feed(command(tag)).await?;
                    false
                }
                Response::TransactionStart(tag) => {
                    client.feed(command(tag)).await?;
                    status = status.to_in_transaction_state();
                    false
                }
                Response::TransactionEnd(tag) => {
                    client.feed(command(tag)).await?;
                    status = status.to_idle_state();
                    client.portal_store().rm_portal(DEFAULT_NAME);
                    false
                }
                Response::EmptyQuery => {
                    client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?;
                    false
                }
                Response::Error(e) => return Err(PgWireError::UserError(e)),
                Response::CopyIn(copy) => {
                    client.set_state(PgWireConnectionState::CopyInProgress(true));
                    pgwire::api::copy::send_copy_in_response(client, copy).await?;
                    return Ok(());
                }
                Response::CopyOut(copy) => {
                    pgwire::api::copy::send_copy_out_response(client, copy).await?;
                    false
                }
                Response::CopyBoth(_) => return Err(user(info("0A000", "COPY BOTH is not supported"))),
            }
        } else {
            true
        };
        if fetch {
            let fetched = portal.fetch(max_rows).await?;
            let mut response = fetched.response;
            let command = response.command_tag().to_owned();
            let mut rows = 0;
            while let Some(row) = response.data_rows().next().await {
                client.feed(PgWireBackendMessage::DataRow(row?)).await?;
                rows += 1;
            }
            let done = if fetched.suspended {
                PgWireBackendMessage::PortalSuspended(PortalSuspended::new())
            } else {
                PgWireBackendMessage::CommandComplete(Tag::new(&command).with_rows(rows).into())
            };
            client.feed(done).await?;
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client.set_transaction_status(status);
        Ok(())
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
                _ => types::param_pg_type(&description, i),
            })
            .collect();
        Ok(DescribeStatementResponse::new(params, fields(&description, &Format::UnifiedBinary)))
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
        Ok(DescribePortalResponse::new(fields(&description, &portal.result_column_format)))
    }

    async fn do_query<C>(&self, _client: &mut C, portal: &Portal<Arc<str>>, _max_rows: usize) -> PgWireResult<Response>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let sql = &portal.statement.statement;
        let step = self.with_session(|s| s.execute(sql, |inferred, zone| decode_params(portal, inferred, zone)));
        match step {
            Ok(step) => response(step, &portal.result_column_format),
            Err(e) => Err(user(e)),
        }
    }
}

/// A portal's parameters as values: each read as the type the client declared, else the
/// type Braid described, else text.
fn decode_params(
    portal: &Portal<Arc<str>>,
    described: &Description,
    zone: braid::value::zone::Zone,
) -> Result<Vec<Value>, Failure> {
    (0..portal.parameters.len())
        .map(|i| {
            let ty = match portal.statement.parameter_types.get(i).cloned().flatten() {
                Some(t) if t != Type::UNKNOWN => t,
                _ => types::param_pg_type(described, i),
            };
            let bytes = portal.parameters[i].as_deref();
            types::decode_in(bytes, &ty, portal.parameter_format.is_binary(i), zone)
                .map_err(|e| info("22P02", format!("parameter ${}: {}", i + 1, e.0)))
        })
        .collect()
}

/// COPY FROM STDIN's data, end and failure, for the session's COPY under way.
#[async_trait]
impl CopyHandler for Handlers {
    async fn on_copy_data<C>(&self, _client: &mut C, data: CopyData) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.with_session(|s| s.copy_data(&data.data));
        Ok(())
    }

    async fn on_copy_done<C>(&self, client: &mut C, _done: CopyDone) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (rows, status) = self.with_session(|s| (s.copy_done(), transaction_status(s)));
        // pgwire does not update the status while a COPY is in progress: the session's is it.
        client.set_transaction_status(status);
        let tag = Tag::new("COPY").with_rows(rows.map_err(user)? as usize);
        client.feed(PgWireBackendMessage::CommandComplete(tag.into())).await?;
        Ok(())
    }

    async fn on_copy_fail<C>(&self, client: &mut C, fail: CopyFail) -> PgWireError
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (error, status) = self.with_session(|s| (s.copy_fail(&fail.message), transaction_status(s)));
        client.set_transaction_status(status);
        user(error)
    }
}

/// The ReadyForQuery status of a session: idle, in a transaction, or in a failed one.
fn transaction_status(session: &Session) -> pgwire::messages::response::TransactionStatus {
    use pgwire::messages::response::TransactionStatus;
    match (session.in_transaction(), session.is_failed()) {
        (false, _) => TransactionStatus::Idle,
        (true, false) => TransactionStatus::Transaction,
        (true, true) => TransactionStatus::Error,
    }
}
