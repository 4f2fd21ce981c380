"""The page at `/` in a real browser: Debian's headless chromium driven by selenium (chromium-driver) fills in
a tiny request, presses Generate, and the picture must appear; the screenshot is kept as
<workdir>/page.png (a test artifact)."""
import base64
import os
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from serverlib import Checks, Server, parse_args

a = parse_args()
c = Checks()
with Server(a.sdxl_gen) as s:
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1200,900"]:
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.set_page_load_timeout(60)
        driver.get(s.base + "/")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not driver.find_elements(By.CSS_SELECTOR, "#sampler option"):
            time.sleep(0.2)
        c.expect(len(driver.find_elements(By.CSS_SELECTOR, "#sampler option")) == 5, "the sampler list loads")
        for field, value in [("prompt", "a small red house"), ("width", "64"), ("height", "64"), ("steps", "4"), ("seed", "3")]:
            el = driver.find_element(By.ID, field)
            el.clear()
            el.send_keys(value)
        driver.find_element(By.ID, "generate").click()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not driver.find_elements(By.CSS_SELECTOR, "#result img.output"):
            time.sleep(0.2)
        imgs = driver.find_elements(By.CSS_SELECTOR, "#result img.output")
        if c.expect(len(imgs) == 1, "the generated picture appears (error: %r)" % driver.find_element(By.ID, "error").text):
            c.expect(driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", imgs[0]) == 64,
                     "the picture is a decoded 64-pixel-wide image")
            c.expect("Seed: 3" in driver.find_element(By.ID, "params").text, "its parameters are shown")
            c.expect(driver.find_element(By.CSS_SELECTOR, "a.download").get_attribute("href").startswith("data:image/png;base64,"),
                     "a download link")
        c.expect(driver.find_element(By.ID, "error").text == "", "no error shown")
        shot = os.path.join(a.workdir, "page.png")
        driver.save_screenshot(shot)
        print("screenshot:", shot)
        # An error is shown, not swallowed.
        el = driver.find_element(By.ID, "width")
        el.clear()
        el.send_keys("60")
        driver.find_element(By.ID, "generate").click()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not driver.find_element(By.ID, "error").text:
            time.sleep(0.2)
        c.expect("422" in driver.find_element(By.ID, "error").text, "a bad size shows the server's 422")
    finally:
        driver.quit()
    c.expect(s.stop() == 0, "exit 0")
c.done()
