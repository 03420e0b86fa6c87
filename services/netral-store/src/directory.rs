//! The agency directory as stored: agencies and their dated role grants, synced from the
//! directory source and read back by the server for authorization.

use chrono::{DateTime, Utc};
use netral_domain::policy::RoleGrant;
use netral_domain::{AgencyId, RegionCode};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

use crate::codec::parse;
use crate::entity::{agencies, role_grants};
use crate::error::StoreError;
use crate::store::Store;

/// One agency with its grants, as the directory holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyRecord {
    /// The agency slug, as in its client certificate.
    pub id: AgencyId,
    /// The human name shown to other agencies.
    pub display_name: String,
    /// The region a regional office serves; `None` for a national agency.
    pub region: Option<RegionCode>,
    /// When its access was revoked, if it was; the agency stays so its history resolves.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Every role it holds or held, with dates.
    pub grants: Vec<RoleGrant>,
}

impl Store {
    /// Upserts `agencies` and replaces each one's grants, in one transaction (a reader never
    /// sees an agency without its grants). Agencies absent from `agencies` are left as they
    /// are: an agency is retired by setting `revoked_at`, never by deletion.
    pub async fn sync_directory(&self, agencies: &[AgencyRecord]) -> Result<(), StoreError> {
        let now = crate::storage_instant(Utc::now());
        let _gate = self.lock_writes().await?;
        let txn = self.db.begin().await?;
        for agency in agencies {
            let id = agency.id.as_str().to_owned();
            let row = agencies::ActiveModel {
                id: Set(id.clone()),
                display_name: Set(agency.display_name.clone()),
                region_code: Set(agency.region.map(|r| r.to_string())),
                revoked_at: Set(agency.revoked_at.map(crate::storage_instant)),
                updated_at: Set(now),
            };
            agencies::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(agencies::Column::Id)
                        .update_columns([
                            agencies::Column::DisplayName,
                            agencies::Column::RegionCode,
                            agencies::Column::RevokedAt,
                            agencies::Column::UpdatedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
            role_grants::Entity::delete_many()
                .filter(role_grants::Column::AgencyId.eq(id.as_str()))
                .exec(&txn)
                .await?;
            for grant in &agency.grants {
                let row = role_grants::ActiveModel {
                    id: sea_orm::NotSet,
                    agency_id: Set(id.clone()),
                    role: Set(grant.role.as_str().to_owned()),
                    valid_from: Set(grant.valid_from),
                    valid_until: Set(grant.valid_until),
                };
                role_grants::Entity::insert(row)
                    .exec_without_returning(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Every agency with its grants, by id.
    pub async fn agencies(&self) -> Result<Vec<AgencyRecord>, StoreError> {
        const T: &str = "agencies";
        let rows = agencies::Entity::find()
            .order_by_asc(agencies::Column::Id)
            .find_with_related(role_grants::Entity)
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|(agency, mut grants)| {
                grants.sort_by_key(|g| g.id);
                Ok(AgencyRecord {
                    id: parse(&agency.id, T, "id")?,
                    display_name: agency.display_name,
                    region: agency
                        .region_code
                        .map(|r| parse(&r, T, "region_code"))
                        .transpose()?,
                    revoked_at: agency.revoked_at,
                    grants: grants
                        .into_iter()
                        .map(|g| {
                            Ok(RoleGrant {
                                role: parse(&g.role, "role_grants", "role")?,
                                valid_from: g.valid_from,
                                valid_until: g.valid_until,
                            })
                        })
                        .collect::<Result<_, StoreError>>()?,
                })
            })
            .collect()
    }
}
