import { Link } from '../components/Link';
import { Shell } from '../components/Shell';

export function NotFoundPage() {
  return (
    <Shell title="Page not found">
      <p className="lead">There is nothing at this address.</p>
      <p>
        <Link to="/">Go to the sign-in page</Link>
      </p>
    </Shell>
  );
}
