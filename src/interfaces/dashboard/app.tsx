// The dashboard: a Preact app with a router over the fleet, the campaigns, a campaign and a run. Data
// comes from the API; changes arrive live over /api/events.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { onTokenNeeded, setToken, token } from './api.ts';
import { TokenPrompt } from './components/token-prompt.tsx';
import { connect } from './live.ts';
import { useLiveStatus } from './hooks.ts';
import { CampaignPage } from './pages/campaign.tsx';
import { CampaignsPage } from './pages/campaigns.tsx';
import { FleetPage } from './pages/fleet.tsx';
import { RunPage } from './pages/run.tsx';
import './styles.css';

function Nav() {
  const { path } = useLocation();
  const status = useLiveStatus();
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} class={active ? 'active' : ''}>
      {label}
    </a>
  );
  return (
    <nav class="top">
      <a href="/" class="brand">
        <span class="logo">⚡</span> Safeflash
      </a>
      {link('/', 'Fleet', path === '/' || path.startsWith('/runs'))}
      {link('/campaigns', 'Campaigns', path.startsWith('/campaigns'))}
      <span class="grow" />
      <span class={`live ${status}`} data-testid="live-status">
        <i /> {status === 'live' ? 'live' : status === 'connecting' ? 'connecting…' : 'offline'}
      </span>
      {token() && (
        <button type="button" class="btn link" onClick={() => setToken(null)}>
          forget token
        </button>
      )}
    </nav>
  );
}

function NotFound() {
  return <div class="page muted pad">No such page.</div>;
}

function App() {
  const [needToken, setNeedToken] = useState(false);
  useEffect(() => onTokenNeeded(setNeedToken), []);
  return (
    <LocationProvider>
      <Nav />
      <main>
        <Router>
          <Route path="/" component={FleetPage} />
          <Route path="/devices" component={FleetPage} />
          <Route path="/campaigns" component={CampaignsPage} />
          <Route path="/campaigns/:campaign" component={CampaignPage} />
          <Route path="/runs/:run" component={RunPage} />
          <Route default component={NotFound} />
        </Router>
      </main>
      {needToken && <TokenPrompt />}
    </LocationProvider>
  );
}

connect();
render(<App />, document.getElementById('app')!);
