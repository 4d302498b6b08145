//! Entry point of the `proton-shell` binary: everything happens in `proton_shell::main_exit_code`.

fn main() -> std::process::ExitCode {
    proton_shell::main_exit_code()
}
