//! Binding role and privilege statements: CREATE / ALTER / DROP ROLE (and USER), GRANT and
//! REVOKE. A password becomes its SCRAM verifier here, so no plan holds the password.

use braid_engine::roles::{self as acl, Privilege};
use sqlparser::ast;

use super::{Binder, ident, object_name};
use crate::error::{Error, Result};
use crate::plan::{Grant, GrantObjects, RoleOptions, Statement};

impl Binder<'_> {
    /// CREATE ROLE, or CREATE USER (`user`), which logs in unless told NOLOGIN.
    pub(super) fn create_role(&mut self, create: &ast::CreateRole, user: bool) -> Result<Statement> {
        if !create.in_role.is_empty() || !create.role.is_empty() || !create.admin.is_empty() || !create.user.is_empty()
        {
            return Err(Error::unsupported("role membership (IN ROLE, ROLE, ADMIN, USER)"));
        }
        let [name] = create.names.as_slice() else {
            return Err(Error::invalid("CREATE ROLE names one role"));
        };
        let mut options = RoleOptions {
            superuser: create.superuser,
            create_db: create.create_db,
            create_role: create.create_role,
            inherit: create.inherit,
            login: create.login.or(user.then_some(true)),
            replication: create.replication,
            bypass_rls: create.bypassrls,
            ..RoleOptions::default()
        };
        if let Some(limit) = &create.connection_limit {
            options.connection_limit = Some(connection_limit(limit)?);
        }
        if let Some(password) = &create.password {
            options.password = Some(password_verifier(password)?);
        }
        if let Some(until) = &create.valid_until {
            options.valid_until = Some(string(until, "VALID UNTIL")?);
        }
        Ok(Statement::CreateRole { name: object_name(name)?, options })
    }

    pub(super) fn alter_role(&mut self, name: &ast::Ident, operation: &ast::AlterRoleOperation) -> Result<Statement> {
        let name = ident(name);
        let mut options = RoleOptions::default();
        match operation {
            ast::AlterRoleOperation::RenameRole { role_name } => {
                return Ok(Statement::AlterRole { name, options, rename: Some(ident(role_name)) });
            }
            ast::AlterRoleOperation::WithOptions { options: list } => {
                for option in list {
                    match option {
                        ast::RoleOption::BypassRLS(b) => options.bypass_rls = Some(*b),
                        ast::RoleOption::ConnectionLimit(e) => options.connection_limit = Some(connection_limit(e)?),
                        ast::RoleOption::CreateDB(b) => options.create_db = Some(*b),
                        ast::RoleOption::CreateRole(b) => options.create_role = Some(*b),
                        ast::RoleOption::Inherit(b) => options.inherit = Some(*b),
                        ast::RoleOption::Login(b) => options.login = Some(*b),
                        ast::RoleOption::Password(p) => options.password = Some(password_verifier(p)?),
                        ast::RoleOption::Replication(b) => options.replication = Some(*b),
                        ast::RoleOption::SuperUser(b) => options.superuser = Some(*b),
                        ast::RoleOption::ValidUntil(e) => options.valid_until = Some(string(e, "VALID UNTIL")?),
                    }
                }
            }
            other => return Err(Error::unsupported(format!("ALTER ROLE … {other}"))),
        }
        Ok(Statement::AlterRole { name, options, rename: None })
    }

    pub(super) fn drop_roles(&mut self, names: &[ast::ObjectName], if_exists: bool) -> Result<Statement> {
        let names = names.iter().map(object_name).collect::<Result<_>>()?;
        Ok(Statement::DropRole { names, if_exists })
    }

    pub(super) fn grant(&mut self, grant: &ast::Grant) -> Result<Statement> {
        if grant.granted_by.is_some() || grant.as_grantor.is_some() {
            return Err(Error::unsupported("GRANTED BY"));
        }
        let objects = grant.objects.as_ref().ok_or_else(|| Error::unsupported("granting roles to roles"))?;
        Ok(Statement::Grant(Grant {
            revoke: false,
            privileges: privileges(&grant.privileges)?,
            objects: self.grant_objects(objects)?,
            grantees: grantees(&grant.grantees)?,
            grant_option: grant.with_grant_option,
        }))
    }

    pub(super) fn revoke(&mut self, revoke: &ast::Revoke) -> Result<Statement> {
        if revoke.granted_by.is_some() {
            return Err(Error::unsupported("GRANTED BY"));
        }
        if matches!(revoke.cascade, Some(ast::CascadeOption::Cascade)) {
            return Err(Error::unsupported("REVOKE … CASCADE"));
        }
        let objects = revoke.objects.as_ref().ok_or_else(|| Error::unsupported("revoking roles from roles"))?;
        Ok(Statement::Grant(Grant {
            revoke: true,
            privileges: privileges(&revoke.privileges)?,
            objects: self.grant_objects(objects)?,
            grantees: grantees(&revoke.grantees)?,
            grant_option: revoke.grant_option_for,
        }))
    }
}

/// The privilege bits named; `None` for ALL.
fn privileges(privileges: &ast::Privileges) -> Result<Option<Privilege>> {
    let actions = match privileges {
        ast::Privileges::All { .. } => return Ok(None),
        ast::Privileges::Actions(actions) => actions,
    };
    let mut bits = 0;
    for action in actions {
        bits |= match action {
            ast::Action::Select { columns: None } => acl::SELECT,
            ast::Action::Insert { columns: None } => acl::INSERT,
            ast::Action::Update { columns: None } => acl::UPDATE,
            ast::Action::Delete => acl::DELETE,
            ast::Action::Truncate => acl::TRUNCATE,
            ast::Action::References { columns: None } => acl::REFERENCES,
            ast::Action::Trigger => acl::TRIGGER,
            ast::Action::Usage => acl::USAGE,
            ast::Action::Create { obj_type: None } => acl::CREATE,
            ast::Action::Select { .. }
            | ast::Action::Insert { .. }
            | ast::Action::Update { .. }
            | ast::Action::References { .. } => {
                return Err(Error::unsupported("column privileges"));
            }
            other => return Err(Error::unsupported(format!("privilege {other}"))),
        };
    }
    Ok(Some(bits))
}

impl Binder<'_> {
    /// What a GRANT or REVOKE is on: relations by their stored names, schemas by name.
    fn grant_objects(&self, objects: &ast::GrantObjects) -> Result<GrantObjects> {
        let names = |list: &[ast::ObjectName]| list.iter().map(object_name).collect::<Result<Vec<_>>>();
        let relations =
            |list: &[ast::ObjectName]| list.iter().map(|n| self.find_relation(n)).collect::<Result<Vec<_>>>();
        Ok(match objects {
            ast::GrantObjects::Tables(list) => GrantObjects::Tables(relations(list)?),
            ast::GrantObjects::Sequences(list) => GrantObjects::Sequences(relations(list)?),
            ast::GrantObjects::AllTablesInSchema { schemas } => GrantObjects::AllTablesInSchema(names(schemas)?),
            ast::GrantObjects::AllSequencesInSchema { schemas } => GrantObjects::AllSequencesInSchema(names(schemas)?),
            ast::GrantObjects::Schemas(list) => GrantObjects::Schemas(names(list)?),
            other => return Err(Error::unsupported(format!("GRANT … ON {other}"))),
        })
    }
}

/// Role names, `None` for PUBLIC.
fn grantees(grantees: &[ast::Grantee]) -> Result<Vec<Option<String>>> {
    grantees
        .iter()
        .map(|g| match (&g.grantee_type, &g.name) {
            (ast::GranteesType::Public, _) => Ok(None),
            (
                ast::GranteesType::None | ast::GranteesType::Role | ast::GranteesType::User | ast::GranteesType::Group,
                Some(ast::GranteeName::ObjectName(name)),
            ) => {
                let name = object_name(name)?;
                // `TO public` unquoted is PUBLIC, as in PostgreSQL.
                Ok(if name == "public" { None } else { Some(name) })
            }
            _ => Err(Error::unsupported(format!("grantee {g}"))),
        })
        .collect()
}

/// The verifier `PASSWORD 'p'` stores (`None`: PASSWORD NULL). PostgreSQL refuses an empty
/// password with a notice and stores none; so does Braid.
fn password_verifier(password: &ast::Password) -> Result<Option<String>> {
    match password {
        ast::Password::NullPassword => Ok(None),
        ast::Password::Password(e) => {
            let text = string(e, "PASSWORD")?;
            if text.is_empty() { Ok(None) } else { crate::scram::rolpassword(&text).map(Some) }
        }
    }
}

fn string(e: &ast::Expr, what: &str) -> Result<String> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => Ok(s.clone()),
            _ => Err(Error::invalid(format!("{what} takes a string"))),
        },
        _ => Err(Error::invalid(format!("{what} takes a string"))),
    }
}

fn connection_limit(e: &ast::Expr) -> Result<i32> {
    let text = match e {
        ast::Expr::Value(v) => v.value.to_string(),
        ast::Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => format!("-{expr}"),
        other => other.to_string(),
    };
    match text.parse::<i32>() {
        Ok(n) if n >= -1 => Ok(n),
        _ => Err(Error::invalid(format!("invalid connection limit: {text}"))),
    }
}
