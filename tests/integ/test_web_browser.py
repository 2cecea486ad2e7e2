#!/usr/bin/env python3
"""test_web_browser.py - the web app in real headless Chromium (Selenium).

Opens the daily page, steps to the previous day and back, searches as you
type and opens a result, opens a paper page and copies its BibTeX, switches
to dark mode (CDP Emulation.setEmulatedMedia) and to phone width, checks
keyboard navigation (skip link, "/" and j/k, visible focus) and WCAG AA
contrast of the main text colours in both schemes. Any JavaScript console
error (CSP violations included) fails the test. Screenshots go to
build/test-artifacts/.

Needs Debian's chromium and chromium-driver (scripts/deps.sh) and Selenium
in build/venv (scripts/test-venv.sh, run from here when missing); skips
cleanly when they cannot be had. Environment: PAPERBOY, BUILD.
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import webfixture as wf  # noqa: E402

PAPERBOY = os.environ.get('PAPERBOY', os.path.join(ROOT, 'build/paperboy'))
CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'


def skip_all(why):
    t = wf.Tap()
    t.skip('browser tests', why)
    sys.exit(t.done())


try:
    import selenium  # noqa: F401
except ImportError:
    if os.environ.get('PAPERBOY_BROWSER_REEXEC'):
        skip_all('selenium not importable in build/venv')
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        skip_all('chromium/chromium-driver not installed (scripts/deps.sh)')
    r = subprocess.run([os.path.join(ROOT, 'scripts/test-venv.sh')], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    py = r.stdout.decode().strip().splitlines()[-1] if r.returncode == 0 and r.stdout else ''
    if not py or not os.path.exists(py):
        skip_all('no Selenium venv (scripts/test-venv.sh failed: %s)' %
                 r.stderr.decode('utf-8', 'replace').strip()[-200:])
    os.environ['PAPERBOY_BROWSER_REEXEC'] = '1'
    os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

t = wf.Tap()
ART = os.path.join(ROOT, 'build', 'test-artifacts')
TAG = os.path.basename(os.environ.get('BUILD', 'build').rstrip('/')) or 'build'

# Contrast ratio (WCAG 2.x) of an element's colour against the first
# non-transparent background up its ancestors.
CONTRAST_JS = r'''
function lum(c){var m=c.match(/[\d.]+/g).map(Number);var a=m.length>3?m[3]:1;
 var v=m.slice(0,3).map(function(x){x/=255;return x<=0.03928?x/12.92:Math.pow((x+0.055)/1.055,2.4);});
 return {l:0.2126*v[0]+0.7152*v[1]+0.0722*v[2],a:a};}
function bg(el){while(el){var c=getComputedStyle(el).backgroundColor;var L=lum(c);if(L.a>0.5)return L.l;el=el.parentElement;}
 return lum(getComputedStyle(document.documentElement).backgroundColor).l;}
var out=[];arguments[0].forEach(function(sel){var el=document.querySelector(sel);if(!el){out.push([sel,null]);return;}
 var f=lum(getComputedStyle(el).color).l,b=bg(el);var r=(Math.max(f,b)+0.05)/(Math.min(f,b)+0.05);
 out.push([sel,Math.round(r*100)/100]);});return out;
'''


class Browser:
    def __init__(self):
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                  '--window-size=1280,900', '--lang=en-US'):
            opts.add_argument(a)
        opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
        self.d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.d.set_page_load_timeout(30)

    def console_errors(self):
        try:
            logs = self.d.get_log('browser')
        except WebDriverException:
            return []
        return [e for e in logs if e.get('level') == 'SEVERE']

    def shot(self, name):
        os.makedirs(ART, exist_ok=True)
        path = os.path.join(ART, '%s-%s.png' % (TAG, name))
        self.d.save_screenshot(path)
        return path

    def wait(self, cond, timeout=10):
        return WebDriverWait(self.d, timeout).until(cond)


def click(d, el):
    """Scrolls el to the middle at once (the page scrolls smoothly) and clicks."""
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", el)
    el.click()


def no_console_errors(b, where):
    errs = b.console_errors()
    t.ok(not errs, 'no JavaScript console errors: ' + where, errs)


def run(b, base):
    d = b.d
    # 1. Daily page, previous day and back.
    d.get(base + '/')
    t.ok('Daily Papers' in d.find_element(By.TAG_NAME, 'h1').text, 'daily page opens')
    t.ok(len(d.find_elements(By.CSS_SELECTOR, 'article.card')) >= 1, 'daily page has cards')
    t.ok(d.execute_script('return document.body.innerHTML.indexOf("<script>alert") < 0'),
         'hostile title not executed or injected')
    b.shot('daily')
    no_console_errors(b, 'daily page')
    first = d.current_url
    click(d, d.find_element(By.CSS_SELECTOR, 'a[rel="prev"]'))
    b.wait(EC.url_contains('/papers/date/' + wf.DAYS[1]))
    t.ok(d.current_url.endswith('/papers/date/' + wf.DAYS[1]), 'stepped to the previous day')
    click(d, d.find_element(By.CSS_SELECTOR, 'a[rel="next"]'))
    b.wait(EC.url_contains('/papers/date/' + wf.DAYS[2]))
    t.ok(d.current_url.endswith('/papers/date/' + wf.DAYS[2]), 'and back to the next day')
    del first
    no_console_errors(b, 'day navigation')

    # 2. Keyboard: skip link first, "/" focuses search, j moves to a card.
    d.get(base + '/')
    body = d.find_element(By.TAG_NAME, 'body')
    body.send_keys(Keys.TAB)
    active = d.switch_to.active_element
    t.ok(active.get_attribute('class') == 'skip', 'Tab reaches the skip link first')
    top = d.execute_script('return document.activeElement.getBoundingClientRect().top')
    t.ok(top >= 0, 'focused skip link is visible', top)
    outline = d.execute_script('return getComputedStyle(document.activeElement).outlineStyle')
    t.ok(outline not in ('none', ''), 'visible focus outline', outline)
    d.execute_script('document.activeElement.blur()')
    body.send_keys('/')
    t.ok(d.switch_to.active_element.get_attribute('id') == 'q', '"/" focuses the search box')
    d.execute_script('document.activeElement.blur()')
    body.send_keys('j')
    t.ok(d.execute_script('return !!document.activeElement.closest(".card")'),
         '"j" focuses the first paper')
    no_console_errors(b, 'keyboard')

    # 3. Search as you type, then open a result.
    d.get(base + '/search')
    box = d.find_element(By.ID, 'search-q')
    t.ok(d.find_element(By.ID, 'search-form').get_attribute('data-live') == 'yes',
         'search script enhanced the form')
    box.send_keys('sparse attention')
    try:
        b.wait(lambda drv: drv.find_elements(By.CSS_SELECTOR, '#results article.card mark'))
        t.ok(True, 'results appear while typing (from /api/search)')
    except TimeoutException:
        t.ok(False, 'results appear while typing (from /api/search)', d.page_source[-1500:])
    status = d.find_element(By.ID, 'search-status').text
    t.ok('result' in status and 'sparse attention' in status, 'live status line', status)
    t.ok('q=sparse+attention' in d.current_url or 'q=sparse%20attention' in d.current_url,
         'URL follows the query (shareable)', d.current_url)
    b.shot('search')
    box.send_keys(Keys.CONTROL, 'a')
    box.send_keys('zzqqxx')
    try:
        b.wait(lambda drv: 'No papers match' in drv.find_element(By.ID, 'results').text)
        t.ok(True, 'help appears when nothing matches')
    except TimeoutException:
        t.ok(False, 'help appears when nothing matches')
    box.send_keys(Keys.CONTROL, 'a')
    box.send_keys('sparse')
    b.wait(lambda drv: drv.find_elements(By.CSS_SELECTOR, '#results article.card h2 a'))
    link = d.find_element(By.CSS_SELECTOR, '#results article.card h2 a')
    href = link.get_attribute('href')
    click(d, link)
    b.wait(EC.url_contains('/papers/2410.'))
    t.ok(d.current_url == href and d.find_element(By.TAG_NAME, 'h1').text,
         'opened a search result')
    no_console_errors(b, 'search')

    # 4. Paper page: copy the BibTeX.
    d.get(base + '/papers/' + wf.HOSTILE_ID)
    bib = d.find_element(By.ID, 'bibtex').text
    try:
        d.execute_cdp_cmd('Browser.grantPermissions', {
            'origin': base, 'permissions': ['clipboardReadWrite', 'clipboardSanitizedWrite']})
    except WebDriverException:
        pass
    click(d, d.find_element(By.CSS_SELECTOR, 'button[data-copy="bibtex"]'))
    b.wait(lambda drv: drv.find_element(By.ID, 'bibtex-status').text)
    copied = None
    try:
        copied = d.execute_async_script(
            'var done = arguments[0]; navigator.clipboard.readText().then(done, function(){done(null);});')
    except WebDriverException:
        copied = None
    if copied is None:
        # No clipboard access in this headless build: capture what the page writes.
        d.execute_script(
            'window.__copied = null; Object.defineProperty(navigator, "clipboard", {configurable: true,'
            ' value: {writeText: function (s) { window.__copied = s; return Promise.resolve(); }}});')
        click(d, d.find_element(By.CSS_SELECTOR, 'button[data-copy="bibtex"]'))
        b.wait(lambda drv: drv.execute_script('return window.__copied'))
        copied = d.execute_script('return window.__copied')
    t.ok(copied and copied.strip() == bib.strip() and copied.startswith('@'),
         'Copy BibTeX puts the entry on the clipboard', (copied or '')[:200])
    t.ok('Copied' in d.find_element(By.ID, 'bibtex-status').text, 'copy is announced')
    b.shot('paper')
    no_console_errors(b, 'paper page')

    # 5. Contrast (WCAG AA) in light mode.
    sels = ['body', 'main h1', '.card h2 a', '.authors', '.meta', '.chip', 'footer.site p',
            'nav.main a']
    d.get(base + '/')
    light = d.execute_script(CONTRAST_JS, sels)
    low = [x for x in light if x[1] is not None and x[1] < 4.5]
    t.ok(not low, 'light mode: text contrast >= 4.5:1', light)

    # 6. Dark mode.
    d.execute_cdp_cmd('Emulation.setEmulatedMedia', {
        'features': [{'name': 'prefers-color-scheme', 'value': 'dark'}]})
    d.get(base + '/')
    dark_bg = d.execute_script(
        'var m = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);'
        'return (m[0] + m[1] + m[2]) / 3;')
    t.ok(dark_bg < 60, 'dark mode follows prefers-color-scheme', dark_bg)
    dark = d.execute_script(CONTRAST_JS, sels)
    low = [x for x in dark if x[1] is not None and x[1] < 4.5]
    t.ok(not low, 'dark mode: text contrast >= 4.5:1', dark)
    b.shot('daily-dark')
    d.get(base + '/papers/' + wf.HOSTILE_ID)
    b.shot('paper-dark')
    no_console_errors(b, 'dark mode')

    # 7. Phone width.
    d.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {
        'width': 390, 'height': 844, 'deviceScaleFactor': 2, 'mobile': True})
    for path, name in [('/', 'daily-phone-dark'), ('/papers/' + wf.HOSTILE_ID, 'paper-phone-dark'),
                       ('/search?q=sparse', 'search-phone-dark')]:
        d.get(base + path)
        over = d.execute_script(
            'return document.documentElement.scrollWidth - document.documentElement.clientWidth')
        t.ok(over <= 1, 'phone width: no sideways scrolling on ' + path, over)
        b.shot(name)
    d.execute_cdp_cmd('Emulation.setEmulatedMedia', {
        'features': [{'name': 'prefers-color-scheme', 'value': 'light'}]})
    d.get(base + '/')
    over = d.execute_script(
        'return document.documentElement.scrollWidth - document.documentElement.clientWidth')
    t.ok(over <= 1, 'phone width (light): no sideways scrolling', over)
    b.shot('daily-phone')
    no_console_errors(b, 'phone width')


def main():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        skip_all('chromium/chromium-driver not installed (scripts/deps.sh)')
    tmp = wf.tempdir()
    server = browser = None
    try:
        db, how = wf.make_store(PAPERBOY, tmp)
        print('# store filled by ' + how)
        server = wf.Server(PAPERBOY, db, tmp)
        try:
            browser = Browser()
        except WebDriverException as e:
            t.skip('browser tests', 'chromium would not start: %s' % str(e).splitlines()[0])
            return t.done()
        run(browser, 'http://127.0.0.1:%d' % server.port)
    except Exception:
        import traceback
        t.ok(False, 'browser test ran to the end', traceback.format_exc())
    finally:
        if browser:
            browser.d.quit()
        if server:
            server.stop()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == '__main__':
    start = time.time()
    rc = main()
    sys.exit(rc)
