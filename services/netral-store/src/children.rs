//! A case's child records: rows ↔ values, reading them for one case or a page of cases, and
//! writing what a step changed (appended notes, attachments, escalations and deadlines, a
//! deadline's new status, a decree's sanctions), never rewriting what it left alone.

use std::collections::HashMap;

use netral_domain::CaseId;
use netral_domain::case::{
    Attachment, CaseRecord, Deadline, DeadlineStatus, Escalation, ImposedSanction, Note,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::codec::{Keyword, decode, parse};
use crate::entity::case_children::{attachments, deadlines, escalations, notes, sanctions};
use crate::error::StoreError;

/// Which of a case's records a read includes (AIP-157 partial responses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseView {
    /// The case's own facts, its deadlines and sanctions and the counts of the rest, but not
    /// its notes, attachments and escalations: what lists and step replies carry.
    #[default]
    Basic,
    /// Everything.
    Full,
}

/// The rows of `items`, the first of them the `first`-th (from 0) child of its kind of case
/// `case_id`.
pub(crate) fn rows<T, M>(
    case_id: &str,
    first: usize,
    items: &[T],
    row: fn(&str, usize, &T) -> Result<M, StoreError>,
) -> Result<Vec<M>, StoreError> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| row(case_id, first + i, item))
        .collect()
}

fn seq(i: usize) -> Result<i32, StoreError> {
    i32::try_from(i + 1).map_err(|_| StoreError::InvalidStep("too many child records"))
}

/// The `case_notes` row of the `index`-th (from 0) note of case `case_id`.
pub(crate) fn note_row(case_id: &str, index: usize, n: &Note) -> Result<notes::Model, StoreError> {
    Ok(notes::Model {
        case_id: case_id.to_owned(),
        seq: seq(index)?,
        agency: n.agency.as_str().to_owned(),
        body: n.text.clone(),
        created_at: n.at,
    })
}

/// The `case_attachments` row of the `index`-th attachment.
pub(crate) fn attachment_row(
    case_id: &str,
    index: usize,
    a: &Attachment,
) -> Result<attachments::Model, StoreError> {
    Ok(attachments::Model {
        case_id: case_id.to_owned(),
        seq: seq(index)?,
        digest: a.digest.clone(),
        media_type: a.media_type.clone(),
        title: a.title.clone(),
        size_bytes: a.size_bytes,
        agency: a.agency.as_str().to_owned(),
        created_at: a.at,
    })
}

/// The `case_escalations` row of the `index`-th escalation.
pub(crate) fn escalation_row(
    case_id: &str,
    index: usize,
    e: &Escalation,
) -> Result<escalations::Model, StoreError> {
    Ok(escalations::Model {
        case_id: case_id.to_owned(),
        seq: seq(index)?,
        kind: e.kind.keyword().to_owned(),
        agency: e.agency.as_ref().map(|a| a.as_str().to_owned()),
        reference: e.reference.clone(),
        reason: e.reason.clone(),
        created_at: e.at,
    })
}

/// The `case_deadlines` row of the `index`-th deadline.
pub(crate) fn deadline_row(
    case_id: &str,
    index: usize,
    d: &Deadline,
) -> Result<deadlines::Model, StoreError> {
    Ok(deadlines::Model {
        case_id: case_id.to_owned(),
        seq: seq(index)?,
        step: d.step.keyword().to_owned(),
        agency: d.agency.as_str().to_owned(),
        start_on: d.start,
        due_on: d.due,
        status: d.status.keyword().to_owned(),
        notice: d.notice.map(|n| n.keyword().to_owned()),
        notice_on: d.notice_on,
    })
}

/// The `case_sanctions` row of the `index`-th sanction of the decree.
pub(crate) fn sanction_row(
    case_id: &str,
    index: usize,
    s: &ImposedSanction,
) -> Result<sanctions::Model, StoreError> {
    Ok(sanctions::Model {
        case_id: case_id.to_owned(),
        seq: seq(index)?,
        code: s.code.clone(),
        decree_number: s.decree_number.clone(),
        decree_date: s.decree_date,
    })
}

fn note_of(row: notes::Model) -> Result<Note, StoreError> {
    Ok(Note {
        text: row.body,
        agency: parse(&row.agency, "case_notes", "agency")?,
        at: row.created_at,
    })
}

fn attachment_of(row: attachments::Model) -> Result<Attachment, StoreError> {
    Ok(Attachment {
        digest: row.digest,
        media_type: row.media_type,
        title: row.title,
        size_bytes: row.size_bytes,
        agency: parse(&row.agency, "case_attachments", "agency")?,
        at: row.created_at,
    })
}

fn escalation_of(row: escalations::Model) -> Result<Escalation, StoreError> {
    const T: &str = "case_escalations";
    Ok(Escalation {
        kind: decode(&row.kind, T, "kind")?,
        agency: row
            .agency
            .as_deref()
            .map(|a| parse(a, T, "agency"))
            .transpose()?,
        reference: row.reference,
        reason: row.reason,
        at: row.created_at,
    })
}

fn deadline_of(row: deadlines::Model) -> Result<Deadline, StoreError> {
    const T: &str = "case_deadlines";
    Ok(Deadline {
        step: decode(&row.step, T, "step")?,
        agency: parse(&row.agency, T, "agency")?,
        start: row.start_on,
        due: row.due_on,
        status: decode(&row.status, T, "status")?,
        notice: row
            .notice
            .as_deref()
            .map(|n| decode(n, T, "notice"))
            .transpose()?,
        notice_on: row.notice_on,
    })
}

fn sanction_of(row: sanctions::Model) -> ImposedSanction {
    ImposedSanction {
        code: row.code,
        decree_number: row.decree_number,
        decree_date: row.decree_date,
    }
}

/// Reads the child records of the cases `ids` from table `entity`, each converted by
/// `convert`, grouped by case in `seq` order.
macro_rules! read_children {
    ($conn:expr, $ids:expr, $entity:ident, $convert:expr) => {{
        let mut by_case: HashMap<String, Vec<_>> = HashMap::new();
        let rows = $entity::Entity::find()
            .filter($entity::Column::CaseId.is_in($ids.iter().cloned()))
            .order_by_asc($entity::Column::CaseId)
            .order_by_asc($entity::Column::Seq)
            .all($conn)
            .await?;
        for row in rows {
            let case_id = row.case_id.clone();
            by_case.entry(case_id).or_default().push($convert(row)?);
        }
        by_case
    }};
}

/// Fills in the child records of `cases` (whose own columns were read already) for `view`:
/// deadlines always, sanctions for the cases `has_sanctions` marks, notes, attachments and
/// escalations for [`CaseView::Full`]. One query per child table for the whole page, none
/// for a table no case of the page needs.
pub(crate) async fn fill<C: ConnectionTrait>(
    conn: &C,
    cases: &mut [CaseRecord],
    has_sanctions: &[bool],
    view: CaseView,
) -> Result<(), StoreError> {
    if cases.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = cases.iter().map(|c| c.id.to_string()).collect();
    let mut deadlines = read_children!(conn, ids, deadlines, deadline_of);
    let sanctioned: Vec<String> = ids
        .iter()
        .zip(has_sanctions)
        .filter(|(_, has)| **has)
        .map(|(id, _)| id.clone())
        .collect();
    let mut sanctions = HashMap::new();
    if !sanctioned.is_empty() {
        let sanction = |r| Ok::<_, StoreError>(sanction_of(r));
        sanctions = read_children!(conn, sanctioned, sanctions, sanction);
    }
    for case in cases.iter_mut() {
        let id = case.id.to_string();
        case.deadlines = deadlines.remove(&id).unwrap_or_default();
        case.imposed_sanctions = sanctions.remove(&id).unwrap_or_default();
    }
    if view == CaseView::Full {
        let mut notes = read_children!(conn, ids, notes, note_of);
        let mut attachments = read_children!(conn, ids, attachments, attachment_of);
        let mut escalations = read_children!(conn, ids, escalations, escalation_of);
        for case in cases.iter_mut() {
            let id = case.id.to_string();
            case.notes = notes.remove(&id).unwrap_or_default();
            case.attachments = attachments.remove(&id).unwrap_or_default();
            case.escalations = escalations.remove(&id).unwrap_or_default();
        }
    }
    Ok(())
}

/// What a step changed among the child records, computed from the record it started from
/// (read in the BASIC view: complete deadlines and sanctions, no notes, attachments or
/// escalations) and the record it produced.
pub(crate) struct ChildChanges {
    notes: Vec<notes::Model>,
    attachments: Vec<attachments::Model>,
    escalations: Vec<escalations::Model>,
    new_deadlines: Vec<deadlines::Model>,
    /// Deadlines whose status or notice changed: their seq and new row.
    deadline_updates: Vec<deadlines::Model>,
    /// The decree's sanctions, when they changed (replacing any before).
    sanctions: Option<Vec<sanctions::Model>>,
}

impl ChildChanges {
    /// The changes from `before` (`None` for a registration) to `after`. Refuses a step that
    /// rewrote a deadline other than by its status and notice.
    pub(crate) fn between(
        before: Option<&CaseRecord>,
        after: &CaseRecord,
    ) -> Result<Self, StoreError> {
        let id = after.id.to_string();
        let size = before.map(|b| b.size).unwrap_or_default();
        let (old_deadlines, old_sanctions) = match before {
            Some(b) => (b.deadlines.as_slice(), b.imposed_sanctions.as_slice()),
            None => (&[][..], &[][..]),
        };
        let notes = rows(&id, size.notes as usize, &after.notes, note_row)?;
        let attachments = rows(
            &id,
            size.attachments as usize,
            &after.attachments,
            attachment_row,
        )?;
        let escalations = rows(
            &id,
            size.escalations as usize,
            &after.escalations,
            escalation_row,
        )?;
        if after.deadlines.len() < old_deadlines.len() {
            return Err(StoreError::InvalidStep("a step cannot remove a deadline"));
        }
        let mut deadline_updates = Vec::new();
        for (i, (old, new)) in old_deadlines.iter().zip(&after.deadlines).enumerate() {
            let same_deadline =
                old.step == new.step && old.start == new.start && old.due == new.due;
            let handed_over = old.agency != new.agency;
            if !same_deadline || (handed_over && old.status != DeadlineStatus::Open) {
                return Err(StoreError::InvalidStep(
                    "a step can change a deadline's status and notice, or the agency of an open one, only",
                ));
            }
            if old != new {
                deadline_updates.push(deadline_row(&id, i, new)?);
            }
        }
        let kept = old_deadlines.len();
        let new_deadlines = rows(&id, kept, &after.deadlines[kept..], deadline_row)?;
        let sanctions = (after.imposed_sanctions != old_sanctions)
            .then(|| rows(&id, 0, &after.imposed_sanctions, sanction_row))
            .transpose()?;
        Ok(Self {
            notes,
            attachments,
            escalations,
            new_deadlines,
            deadline_updates,
            sanctions,
        })
    }

    /// Writes the changes of case `id`: an insert per table that gained rows, an update per
    /// deadline whose status changed.
    pub(crate) async fn write<C: ConnectionTrait>(
        self,
        conn: &C,
        id: CaseId,
    ) -> Result<(), sea_orm::DbErr> {
        let id = id.to_string();
        insert_all::<notes::Entity>(conn, self.notes).await?;
        insert_all::<attachments::Entity>(conn, self.attachments).await?;
        insert_all::<escalations::Entity>(conn, self.escalations).await?;
        insert_all::<deadlines::Entity>(conn, self.new_deadlines).await?;
        for row in self.deadline_updates {
            deadlines::Entity::update_many()
                .col_expr(deadlines::Column::Agency, Expr::value(row.agency))
                .col_expr(deadlines::Column::Status, Expr::value(row.status))
                .col_expr(deadlines::Column::Notice, Expr::value(row.notice))
                .col_expr(deadlines::Column::NoticeOn, Expr::value(row.notice_on))
                .filter(deadlines::Column::CaseId.eq(id.as_str()))
                .filter(deadlines::Column::Seq.eq(row.seq))
                .exec(conn)
                .await?;
        }
        if let Some(rows) = self.sanctions {
            sanctions::Entity::delete_many()
                .filter(sanctions::Column::CaseId.eq(id.as_str()))
                .exec(conn)
                .await?;
            insert_all::<sanctions::Entity>(conn, rows).await?;
        }
        Ok(())
    }
}

/// Inserts `rows` in one statement, or does nothing when there are none.
pub(crate) async fn insert_all<E>(
    conn: &impl ConnectionTrait,
    rows: Vec<E::Model>,
) -> Result<(), sea_orm::DbErr>
where
    E: EntityTrait,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    if rows.is_empty() {
        return Ok(());
    }
    E::insert_many(
        rows.into_iter()
            .map(sea_orm::IntoActiveModel::into_active_model),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
