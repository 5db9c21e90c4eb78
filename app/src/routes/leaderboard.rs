//! `/leaderboard`: referrers ranked by confirmed referrals, this month or all time. Only those
//! who chose a name appear; a signed-in user always sees their own rank, and chooses here
//! whether and under which name to appear. Admins can turn the page off.
use crate::api::leaderboard::{leaderboard, SetLeaderboardEnabled, SetLeaderboardName};
use crate::components::form_error::{form_error_at, FormError};
use crate::models::LeaderboardView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(LeaderboardPage => LeaderboardBody);

#[component]
fn LeaderboardBody() -> impl IntoView {
    let query = use_query_map();
    let board = Resource::new(move || query.read().get("period"), leaderboard);
    // Both forms are plain: the page reloads whole with the change, or with `?error=`.
    let name_error = form_error_at(
        Signal::derive(|| None::<Result<(), crate::error::AppError>>),
        SetLeaderboardName::url(),
    );
    view! {
        <Title text="Leaderboard — hype"/>
        <Transition fallback=|| view! { <p class="muted">"Loading the leaderboard…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(board) => view! { <Board board name_error/> }.into_any(),
                    Err(e) => view! {
                        <section class="card narrow">
                            <h1>"Leaderboard"</h1>
                            <p class="form-error" role="alert">{e.to_string()}</p>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Board(board: LeaderboardView, name_error: Signal<Option<String>>) -> impl IntoView {
    let admin_switch = board.is_admin.then(|| {
        let (label, value) = if board.enabled {
            ("Turn the leaderboard off", "false")
        } else {
            ("Turn the leaderboard on", "true")
        };
        view! {
            <form method="post" action=SetLeaderboardEnabled::url() class="inline">
                <input type="hidden" name="enabled" value=value/>
                <button type="submit" class="button small ghost">{label}</button>
            </form>
        }
    });
    if !board.enabled {
        return view! {
            <section class="card narrow">
                <h1>"Leaderboard"</h1>
                <p>"The leaderboard is turned off on this site."</p>
                {admin_switch}
            </section>
        }
        .into_any();
    }
    let pill = move |period: &'static str, label: &'static str, active: bool| {
        let class = if active { "pill active" } else { "pill" };
        view! { <a class=class href=format!("?period={period}") rel="external">{label}</a> }
    };
    let mine = match (board.signed_in, board.mine) {
        (false, _) => view! { <p class="muted"><a href="/login">"Log in"</a> " to see your rank."</p> }.into_any(),
        (true, None) => view! { <p class="notice">"You have no confirmed referral in this period yet: share a link!"</p> }.into_any(),
        (true, Some((rank, n))) => view! {
            <p class="notice" data-testid="my-rank">
                {format!("You are #{rank} with {n} confirmed referral{}.", if n == 1 { "" } else { "s" })}
            </p>
        }
        .into_any(),
    };
    let rows = if board.entries.is_empty() {
        view! { <p class="muted">"Nobody on the board yet in this period."</p> }.into_any()
    } else {
        view! {
            <table class="data leaderboard">
                <thead>
                    <tr>
                        <th scope="col" class="num">"Rank"</th>
                        <th scope="col">"Referrer"</th>
                        <th scope="col" class="num">"Confirmed"</th>
                    </tr>
                </thead>
                <tbody>
                    {board
                        .entries
                        .into_iter()
                        .map(|(rank, name, n, me)| view! {
                            <tr class=if me { "me" } else { "" }>
                                <td class="num">{rank}</td>
                                <td>{name} {me.then(|| view! { <span class="badge on">"you"</span> })}</td>
                                <td class="num">{n}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    let opt_in = board.signed_in.then(|| {
        let shown = board.my_name.is_some();
        view! {
            <section class="card">
                <h2>"Appear on the board"</h2>
                <p class="muted small">
                    "Off by default. You appear under the name you choose here, never your username."
                </p>
                <form method="post" action=SetLeaderboardName::url() class="create-link">
                    <label class="check">
                        <input type="checkbox" name="show" checked=shown/>
                        " Show me on the leaderboard"
                    </label>
                    <label>
                        "Display name"
                        <input type="text" name="name" maxlength="40" value=board.my_name.clone().unwrap_or_default()/>
                    </label>
                    <button type="submit" class="button">"Save"</button>
                </form>
                <FormError message=name_error/>
            </section>
        }
    });
    view! {
        <section class="card">
            <h1>"Leaderboard"</h1>
            <nav class="pills" aria-label="Period">
                {pill("month", "This month", board.month)}
                {pill("all", "All time", !board.month)}
            </nav>
            {mine}
            {rows}
            {admin_switch}
        </section>
        {opt_in}
    }
    .into_any()
}
