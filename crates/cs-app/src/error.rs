//! The façade's error: a closed set of cases that each shell maps to its own
//! wire shape (`dto::ErrorDto` for the UI, an exit code for the CLI).

use cs_core::{MoneyError, TransitionError, ValidationErrors};
use cs_provider::ProviderError;
use cs_secrets::SecretError;
use cs_store::StoreError;

use crate::dto::{ErrorCode, ErrorDto, FieldErrorDto};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: nothing was written. Carries a message per field.
    #[error("{0}")]
    Validation(ValidationErrors),
    #[error("{0}")]
    NotFound(String),
    /// The request is valid but the current state forbids it.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Provider(#[from] ProviderError),
    /// A feature that needs configuration that is missing.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Secret(#[from] SecretError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> AppError {
        AppError::Validation(ValidationErrors::single(field, message))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Validation(_) => ErrorCode::Validation,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::Provider(e) if e.is_transient() => ErrorCode::Unavailable,
            AppError::Provider(_) => ErrorCode::Provider,
            AppError::Unavailable(_) => ErrorCode::Unavailable,
            AppError::Store(StoreError::Locked { .. }) => ErrorCode::Conflict,
            AppError::Store(_) | AppError::Secret(_) | AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn to_dto(&self) -> ErrorDto {
        let fields = match self {
            AppError::Validation(v) => {
                v.0.iter()
                    .map(|e| FieldErrorDto {
                        field: e.field.clone(),
                        message: e.message.clone(),
                    })
                    .collect()
            }
            _ => vec![],
        };
        let message = match self {
            AppError::Validation(v) if v.0.len() == 1 => v.0[0].message.clone(),
            AppError::Validation(_) => {
                "Some fields need attention: see the messages next to them".to_string()
            }
            other => other.to_string(),
        };
        ErrorDto {
            code: self.code(),
            message,
            fields,
        }
    }
}

impl From<rusqlite_error::Error> for AppError {
    fn from(e: rusqlite_error::Error) -> Self {
        AppError::Store(StoreError::Sqlite(e))
    }
}

impl From<TransitionError> for AppError {
    fn from(e: TransitionError) -> Self {
        AppError::Conflict(e.to_string())
    }
}

impl From<MoneyError> for AppError {
    fn from(e: MoneyError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        AppError::Validation(e)
    }
}

mod rusqlite_error {
    pub use cs_store::rusqlite::Error;
}
