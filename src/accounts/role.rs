//! The four staff roles and the one function that decides what each may do.

use std::fmt;
use std::str::FromStr;

/// A staff member's role (the `users.role` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, including managing users.
    Admin,
    /// Everything but managing users and erasing or exporting a participant.
    Manager,
    /// Contact details and timelines of the participants in their scope only.
    FieldOfficer,
    /// Figures only: no personal data, no manager workbook.
    Viewer,
}

/// Something a request may want to do; [`Role::allows`] decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See aggregate figures: the dashboard, the list of report runs.
    ViewFigures,
    /// See participants (names, contacts, timelines), limited to the user's scope.
    ViewParticipants,
    /// Erase a participant or export everything held about them (admins only).
    ExerciseDataRights,
    /// Upload rosters, see import summaries and error workbooks (which hold personal data).
    ManageImports,
    /// See the forms and their validation.
    ViewForms,
    /// Download the donor workbook (no personal data).
    DownloadDonorWorkbook,
    /// Download the manager workbook (non-respondents with contacts, flags, import errors).
    DownloadManagerWorkbook,
    /// See the email outbox (recipients) and retry failed emails.
    ManageOutbox,
    /// Start the job from the admin area ("run now" on the reports page).
    RunReports,
    /// Create, list and disable staff accounts.
    ManageUsers,
}

impl Role {
    /// The one place deciding what each role may do.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            // Erasure cannot be undone and an export holds everything about a person: admins
            // only, as the design's data-protection section asks.
            Role::Manager => !matches!(permission, ManageUsers | ExerciseDataRights),
            Role::FieldOfficer => matches!(
                permission,
                ViewFigures | ViewParticipants | DownloadDonorWorkbook
            ),
            Role::Viewer => matches!(permission, ViewFigures | DownloadDonorWorkbook),
        }
    }

    /// The name stored in the database and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::FieldOfficer => "field_officer",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of the four.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}; use admin, manager, field_officer or viewer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Role, UnknownRole> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "admin" => Ok(Role::Admin),
            "manager" => Ok(Role::Manager),
            "field_officer" => Ok(Role::FieldOfficer),
            "viewer" => Ok(Role::Viewer),
            _ => Err(UnknownRole(text.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_gets_what_the_design_gives_it() {
        use Permission::*;
        let all = [
            ViewFigures,
            ViewParticipants,
            ExerciseDataRights,
            ManageImports,
            ViewForms,
            DownloadDonorWorkbook,
            DownloadManagerWorkbook,
            ManageOutbox,
            ManageUsers,
        ];
        let allowed = |role: Role| -> Vec<Permission> {
            all.iter().copied().filter(|p| role.allows(*p)).collect()
        };
        assert_eq!(allowed(Role::Admin).len(), all.len());
        assert!(!Role::Manager.allows(ManageUsers));
        assert!(!Role::Manager.allows(ExerciseDataRights));
        assert_eq!(allowed(Role::Manager).len(), all.len() - 2);
        assert_eq!(
            allowed(Role::FieldOfficer),
            vec![ViewFigures, ViewParticipants, DownloadDonorWorkbook]
        );
        assert_eq!(
            allowed(Role::Viewer),
            vec![ViewFigures, DownloadDonorWorkbook]
        );
    }

    #[test]
    fn role_names_round_trip() {
        for role in [Role::Admin, Role::Manager, Role::FieldOfficer, Role::Viewer] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert_eq!("Field-Officer".parse::<Role>().unwrap(), Role::FieldOfficer);
        assert!("root".parse::<Role>().is_err());
    }
}
