//! Appointment types: what the front desk books ("New patient visit, 40 minutes, blue, Dr Lee and
//! Dr Diaz"), with the length that slot searches and recurrences use.

use super::ids::{AppointmentTypeId, ProviderId};
use super::text::required_text;
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};

/// The longest appointment type name; it must fit a day-sheet column.
pub const MAX_TYPE_NAME_CHARS: usize = 60;
/// The shortest appointment, in minutes.
pub const MIN_DURATION_MINUTES: u32 = 5;
/// The longest appointment, in minutes: a whole working day (a procedure block).
pub const MAX_DURATION_MINUTES: u32 = 480;
/// Lengths are multiples of this, so appointments line up on the day sheet's grid.
pub const DURATION_STEP_MINUTES: u32 = 5;
/// How many providers one appointment type may list; more is a data-entry mistake.
pub const MAX_PROVIDERS_PER_TYPE: usize = 200;

/// The length of an appointment: 5 to 480 minutes, in steps of 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AppointmentDuration(u32);

impl AppointmentDuration {
    /// Refuses lengths outside 5..=480 minutes or not a multiple of 5.
    pub fn from_minutes(minutes: u32) -> Result<AppointmentDuration, String> {
        if !(MIN_DURATION_MINUTES..=MAX_DURATION_MINUTES).contains(&minutes) {
            return Err(format!("from {MIN_DURATION_MINUTES} to {MAX_DURATION_MINUTES} minutes"));
        }
        if !minutes.is_multiple_of(DURATION_STEP_MINUTES) {
            return Err(format!("a multiple of {DURATION_STEP_MINUTES} minutes, e.g. 15, 20 or 30"));
        }
        Ok(AppointmentDuration(minutes))
    }

    /// Minutes as typed, e.g. `30`.
    pub fn parse(text: &str) -> Result<AppointmentDuration, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("enter the length in minutes, e.g. 30".into());
        }
        if !t.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("'{t}' is not a number of minutes, e.g. 30"));
        }
        let minutes: u32 = t.parse().map_err(|_| format!("from {MIN_DURATION_MINUTES} to {MAX_DURATION_MINUTES} minutes"))?;
        AppointmentDuration::from_minutes(minutes)
    }

    /// The length in minutes.
    pub fn minutes(self) -> u32 {
        self.0
    }
}

/// A display colour, `#rrggbb`, kept lowercase so equal colours compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Colour(String);

impl Colour {
    /// `#1f77b4` or `#1F77B4`; no names, no short `#abc` form, so every stored colour has one shape.
    pub fn parse(text: &str) -> Result<Colour, String> {
        let t = text.trim();
        match t.strip_prefix('#') {
            Some(hex) if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) => Ok(Colour(t.to_ascii_lowercase())),
            _ if t.is_empty() => Err("choose a colour, e.g. #1f77b4".into()),
            _ => Err(format!("'{t}' is not a colour; write it as #rrggbb, e.g. #1f77b4")),
        }
    }

    /// The colour as stored, `#rrggbb` in lowercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which patients an appointment type is for: new patients get longer first visits, and many
/// practices keep separate slots for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatientKind {
    /// Patients the practice has not seen before (or not in three years, by the CPT rule).
    New,
    /// Patients the practice has seen.
    Established,
    /// Either.
    Any,
}

impl PatientKind {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            PatientKind::New => "new",
            PatientKind::Established => "established",
            PatientKind::Any => "any",
        }
    }

    /// `new`, `established` or `any`, as typed or stored.
    pub fn parse(text: &str) -> Result<PatientKind, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "new" => Ok(PatientKind::New),
            "established" => Ok(PatientKind::Established),
            "any" => Ok(PatientKind::Any),
            "" => Err("choose new, established or any".into()),
            other => Err(format!("'{other}' is not one of new, established, any")),
        }
    }
}

/// An appointment type as typed into the practice settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointmentTypeInput {
    pub name: String,
    /// The default length, in minutes.
    pub duration_minutes: String,
    /// `#rrggbb`.
    pub colour: String,
    /// The providers who offer this type; at least one.
    pub provider_ids: Vec<String>,
    /// `new`, `established` or `any`.
    pub patient_kind: String,
}

/// A valid appointment type, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentTypeData {
    pub name: String,
    pub duration: AppointmentDuration,
    pub colour: Colour,
    /// Who offers it, without repeats, in the order given. Never empty: a type nobody offers could
    /// never be found by a slot search, and nobody would know why.
    pub providers: Vec<ProviderId>,
    pub patient_kind: PatientKind,
}

impl AppointmentTypeInput {
    /// The valid type, or every field error at once (`provider_ids[2]` for one bad id).
    pub fn validate(&self) -> Result<AppointmentTypeData, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.check("name", required_text(&self.name, MAX_TYPE_NAME_CHARS, "enter a name, e.g. New patient visit"));
        let duration = e.check("duration_minutes", AppointmentDuration::parse(&self.duration_minutes));
        let colour = e.check("colour", Colour::parse(&self.colour));
        let patient_kind = e.check("patient_kind", PatientKind::parse(&self.patient_kind));
        let mut providers: Vec<ProviderId> = Vec::new();
        for (i, text) in self.provider_ids.iter().enumerate() {
            if let Some(id) = e.check(&format!("provider_ids[{i}]"), ProviderId::parse(text))
                && !providers.contains(&id)
            {
                providers.push(id);
            }
        }
        if self.provider_ids.is_empty() {
            e.add("provider_ids", "choose at least one provider who offers this type");
        } else if providers.len() > MAX_PROVIDERS_PER_TYPE {
            e.add("provider_ids", format!("at most {MAX_PROVIDERS_PER_TYPE} providers"));
        }
        match (name, duration, colour, patient_kind) {
            (Some(name), Some(duration), Some(colour), Some(patient_kind)) if e.is_empty() => {
                Ok(AppointmentTypeData { name, duration, colour, providers, patient_kind })
            }
            _ => Err(e),
        }
    }
}

/// A stored appointment type: its id and its valid data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentType {
    pub id: AppointmentTypeId,
    #[serde(flatten)]
    pub data: AppointmentTypeData,
}

impl AppointmentType {
    /// Whether `provider` offers this type.
    pub fn offered_by(&self, provider: &ProviderId) -> bool {
        self.data.providers.contains(provider)
    }

    /// The default length.
    pub fn duration(&self) -> AppointmentDuration {
        self.data.duration
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit() -> AppointmentTypeInput {
        AppointmentTypeInput {
            name: "  New patient   visit ".into(),
            duration_minutes: "40".into(),
            colour: "#1F77B4".into(),
            provider_ids: vec!["dr-a".into(), "dr-b".into(), "dr-a".into()],
            patient_kind: "new".into(),
        }
    }

    fn fields(result: Result<AppointmentTypeData, ValidationErrors>) -> Vec<String> {
        result.err().map(|e| e.errors.into_iter().map(|f| f.field).collect()).unwrap_or_default()
    }

    #[test]
    fn a_complete_appointment_type_is_valid_and_normalised() {
        let t = visit().validate().unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(t.name, "New patient visit");
        assert_eq!(t.duration.minutes(), 40);
        assert_eq!(t.colour.as_str(), "#1f77b4");
        assert_eq!(t.providers, vec![ProviderId::from("dr-a"), ProviderId::from("dr-b")]);
        assert_eq!(t.patient_kind, PatientKind::New);
    }

    #[test]
    fn an_empty_appointment_type_names_every_field() {
        assert_eq!(
            fields(AppointmentTypeInput::default().validate()),
            vec!["name", "duration_minutes", "colour", "patient_kind", "provider_ids"]
        );
    }

    #[test]
    fn a_duration_that_is_not_a_multiple_of_five_minutes_is_refused() {
        let mut t = visit();
        t.duration_minutes = "42".into();
        let e = t.validate().err().unwrap_or_default();
        assert_eq!(e.for_field("duration_minutes"), Some("a multiple of 5 minutes, e.g. 15, 20 or 30"));
    }

    #[test]
    fn a_duration_under_five_minutes_or_over_eight_hours_is_refused() {
        for bad in ["0", "4", "485", "600", "99999999999", "-5", "30 min", "3.5"] {
            assert!(AppointmentDuration::parse(bad).is_err(), "{bad} was accepted");
        }
        for good in ["5", "480", " 15 "] {
            assert!(AppointmentDuration::parse(good).is_ok(), "{good} was refused");
        }
    }

    #[test]
    fn a_name_longer_than_sixty_characters_is_refused_but_sixty_is_fine() {
        let mut t = visit();
        t.name = "x".repeat(MAX_TYPE_NAME_CHARS);
        assert!(t.validate().is_ok());
        t.name = "x".repeat(MAX_TYPE_NAME_CHARS + 1);
        assert_eq!(fields(t.validate()), vec!["name"]);
    }

    #[test]
    fn a_colour_must_be_hash_and_six_hex_digits() {
        for bad in ["blue", "#abc", "1f77b4", "#1f77bz", "#1f77b4ff", "#"] {
            assert!(Colour::parse(bad).is_err(), "{bad} was accepted");
        }
        assert_eq!(Colour::parse(" #ABCDEF ").map(|c| c.as_str().to_string()), Ok("#abcdef".to_string()));
    }

    #[test]
    fn a_bad_provider_id_is_named_by_its_position() {
        let mut t = visit();
        t.provider_ids = vec!["dr-a".into(), "not an id".into()];
        assert_eq!(fields(t.validate()), vec!["provider_ids[1]"]);
    }

    #[test]
    fn an_unknown_patient_kind_is_refused() {
        let mut t = visit();
        t.patient_kind = "returning".into();
        assert_eq!(fields(t.validate()), vec!["patient_kind"]);
        assert_eq!(PatientKind::parse("Established"), Ok(PatientKind::Established));
        assert_eq!(PatientKind::parse(PatientKind::Any.as_str()), Ok(PatientKind::Any));
    }
}
