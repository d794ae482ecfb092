import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { refreshSession } from './auth.ts';
import './styles.css';

// A returning visitor is signed in again from the refresh cookie before the first screen.
void refreshSession();
createRoot(document.getElementById('root') as HTMLElement).render(<App />);
