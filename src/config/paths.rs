//! Where the config file and the data directory live.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

use super::{ConfigError, Env, Paths, env_names};

const CONFIG_FILE_NAME: &str = "config.toml";

/// The platform's directories for claudetui: (config dir, data dir).
/// `None` when there is no home directory. The `directories` crate honours
/// `XDG_CONFIG_HOME` and `XDG_DATA_HOME` on Linux.
pub fn platform_dirs() -> Option<(PathBuf, PathBuf)> {
    let dirs = ProjectDirs::from("", "", "claudetui")?;
    Some((
        dirs.config_dir().to_path_buf(),
        dirs.data_dir().to_path_buf(),
    ))
}

/// Flag > `CLAUDETUI_CONFIG` / `CLAUDETUI_DATA_DIR` > the platform
/// directories (`~/.config/claudetui/config.toml` and
/// `~/.local/share/claudetui` on Linux).
pub fn resolve_paths(
    config_flag: Option<&Path>,
    data_dir_flag: Option<&Path>,
    env: &Env,
) -> Result<Paths, ConfigError> {
    resolve_paths_with(config_flag, data_dir_flag, env, platform_dirs)
}

/// [`resolve_paths`] with the platform lookup supplied by the caller, so
/// tests can simulate a machine without a home directory. The lookup is only
/// called when a flag or variable does not already give the path.
pub fn resolve_paths_with(
    config_flag: Option<&Path>,
    data_dir_flag: Option<&Path>,
    env: &Env,
    platform: impl FnOnce() -> Option<(PathBuf, PathBuf)>,
) -> Result<Paths, ConfigError> {
    let config_given = given(config_flag, env, env_names::CONFIG);
    let data_given = given(data_dir_flag, env, env_names::DATA_DIR);
    if let (Some(config_file), Some(data_dir)) = (&config_given, &data_given) {
        return Ok(Paths {
            config_file: config_file.clone(),
            data_dir: data_dir.clone(),
        });
    }
    let platform = platform();
    let config_file = match config_given {
        Some(path) => path,
        None => match &platform {
            Some((config_dir, _)) => config_dir.join(CONFIG_FILE_NAME),
            None => {
                return Err(ConfigError::NoHome {
                    what: "config file",
                });
            }
        },
    };
    let data_dir = match data_given {
        Some(path) => path,
        None => match platform {
            Some((_, data_dir)) => data_dir,
            None => {
                return Err(ConfigError::NoHome {
                    what: "data directory",
                });
            }
        },
    };
    Ok(Paths {
        config_file,
        data_dir,
    })
}

fn given(flag: Option<&Path>, env: &Env, var: &str) -> Option<PathBuf> {
    flag.filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .or_else(|| env.non_empty(var).map(PathBuf::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_home() -> Option<(PathBuf, PathBuf)> {
        None
    }

    #[test]
    fn the_platform_lookup_is_skipped_when_both_paths_are_given() {
        let env = Env::from_pairs([("CLAUDETUI_DATA_DIR", "/d")]);
        let paths = resolve_paths_with(Some(Path::new("/c.toml")), None, &env, || -> Option<_> {
            panic!("platform lookup must not run")
        })
        .unwrap();
        assert_eq!(paths.config_file, PathBuf::from("/c.toml"));
        assert_eq!(paths.data_dir, PathBuf::from("/d"));
    }

    #[test]
    fn no_home_names_the_missing_path_and_the_flag() {
        let env = Env::from_pairs([("CLAUDETUI_CONFIG", "/c.toml")]);
        let err = resolve_paths_with(None, None, &env, no_home).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("data directory"), "{text}");
        assert!(text.contains("--data-dir"), "{text}");
    }
}
