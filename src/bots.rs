//! Which visits are bots: link-preview fetchers (a chat unfurling a pasted link) and
//! self-declared crawlers, told by their User-Agent against the list the npm `isbot` package
//! maintains (through the `isbot` crate), less the entries that name ordinary HTTP libraries
//! and tools: a product's server calling `/ref` through curl or requests is not a bot by that
//! alone.
use std::sync::LazyLock;

/// The list's entries for HTTP libraries and command-line tools, which hype leaves out.
const HTTP_LIBRARIES: &[&str] = &[
    "^curl",
    "^java/",
    "^javascript",
    "^lua-resty-http",
    "^php",
    "^php-curl-class",
    "^postmanruntime",
    "ahc/",
    "aiohttp",
    "anyevent",
    "apachebench/",
    "axios",
    "go-http-client",
    "guzzlehttp",
    "http_get",
    "httpclient",
    "httpunit",
    "httpurlconnection",
    "httpx",
    "jetty",
    "libwww-perl",
    "node-fetch/",
    "okhttp",
    "pcore-http",
    "pycurl",
    "python-requests",
    "python-urllib",
    "wget",
];

static BOTS: LazyLock<isbot::Bots> = LazyLock::new(|| {
    let mut bots = isbot::Bots::default();
    bots.remove(HTTP_LIBRARIES);
    bots
});

/// Whether a User-Agent header (raw bytes, as sent) is a bot's. An empty or missing one is
/// not: many privacy tools strip it.
pub fn is_bot(user_agent: &[u8]) -> bool {
    !user_agent.is_empty() && BOTS.is_bot(&String::from_utf8_lossy(user_agent))
}

/// Compiles the list, so that the first visit after start-up doesn't pay for it.
pub fn warm_up() {
    LazyLock::force(&BOTS);
}

#[cfg(test)]
mod tests {
    use super::is_bot;

    #[test]
    fn preview_fetchers_and_crawlers_are_bots() {
        for agent in [
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Slack-ImgProxy (+https://api.slack.com/robots)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0",
            "WhatsApp/2.23.20.0 A",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "TelegramBot (like TwitterBot)",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        ] {
            assert!(is_bot(agent.as_bytes()), "{agent}");
        }
    }

    #[test]
    fn browsers_http_libraries_and_no_agent_are_not() {
        for agent in [
            "",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            "curl/8.5.0",
            "python-requests/2.32.3",
            "Go-http-client/1.1",
            "okhttp/4.12.0",
            "axios/1.7.9",
            "Wget/1.21.4",
        ] {
            assert!(!is_bot(agent.as_bytes()), "{agent}");
        }
        assert!(!is_bot(b"\xff\xfe not utf-8"));
    }
}
