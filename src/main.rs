//! The `simpark` binary: parse arguments, call the library, map the outcome to an exit code.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    // A panic anywhere (plotting, writing, a study) is a violated invariant: exit 3, never
    // Rust's 101. Simulations catch their own panics first, to print a replay line.
    let code = match std::panic::catch_unwind(|| cli::main_with(args)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("error: {e:#}");
            cli::exit::USAGE
        }
        Err(_) => {
            eprintln!("error: an internal invariant was violated (a simpark bug; the panic message is above)");
            cli::exit::INVARIANT
        }
    };
    std::process::exit(code);
}
