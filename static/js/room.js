// The trainer's room view on a projector: new figures swapped in without a reload (no flicker,
// no jump to the top), every data-refresh seconds while the page is shown.
const box = document.getElementById('room-figures');
if (box) {
  const every = Number(box.dataset.refresh || 15) * 1000;
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const response = await fetch(location.href, { credentials: 'same-origin', cache: 'no-store' });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), 'text/html');
      const fresh = page.getElementById('room-figures');
      if (fresh && fresh.innerHTML !== box.innerHTML) box.replaceChildren(...fresh.childNodes);
    } catch {
      // the laptop is out of reach: keep what is shown, try again at the next turn
    }
  };
  setInterval(refresh, every);
  document.addEventListener('visibilitychange', refresh);
}
